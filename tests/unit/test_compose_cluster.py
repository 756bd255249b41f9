"""docker-compose.yml's profile `cluster`, checked without a Docker engine: three RabbitMQ nodes
that find each other and share a cookie, a PostgreSQL replica that clones and follows the primary,
and deploy/cluster.env, which points the gateway and the workers at them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

from shared.settings import Settings
from tests.unit.compose_file import (
    COMPOSE_FILE,
    app_services,
    argv,
    assert_data_in_named_volumes,
    comment_lines,
    depends_on,
    env_file,
    environment,
    interpolate,
    mounts,
    services,
)
from tests.unit.container_files import ROOT

PROFILE = "cluster"
NODES = ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3")
REPLICA = "postgres-replica"
CLUSTER_ENV = ROOT / "deploy" / "cluster.env"
CONF_DIR = "/etc/rabbitmq/conf.d/"


def _file(service: str, target_prefix: str) -> Path:
    """The repository file a service mounts at (or under) `target_prefix`."""
    (source,) = [s for t, s in mounts(services()[service]).items() if t.startswith(target_prefix)]
    assert source.startswith("./"), f"{service} mounts {source} at {target_prefix}"
    return ROOT / source


def _settings(key_values: str) -> dict[str, str]:
    """`key = value` lines (rabbitmq.conf's form), comments left out."""
    lines = [line.split("#", 1)[0].strip() for line in key_values.splitlines()]
    return {k.strip(): v.strip() for k, _, v in (line.partition("=") for line in lines if line)}


def test_the_profile_is_three_nodes_and_a_replica() -> None:
    profiled = {name for name, spec in services().items() if PROFILE in spec.get("profiles", [])}
    assert profiled == {*NODES, REPLICA}
    assert_data_in_named_volumes(profiled)
    published = [
        mapping.rsplit(":", 1)[0] for name in profiled for mapping in services()[name]["ports"]
    ]
    assert len(set(published)) == len(published), "two services publish one host port"
    assert all(mapping.startswith("127.0.0.1:") for mapping in published)


def test_the_nodes_share_a_cookie_and_find_each_other() -> None:
    stock = services()["rabbitmq"]
    cookies = set()
    for name in NODES:
        node = services()[name]
        assert node["image"] == stock["image"]
        assert node["hostname"] == name, "the node name follows the hostname"
        assert argv(node["healthcheck"]["test"])[-3:] == ["rabbitmq-diagnostics", "-q", "ping"]
        cookies.add(interpolate(environment(node)["RABBITMQ_ERLANG_COOKIE"]))
        config = _file(name, CONF_DIR)
        assert config == _file(NODES[0], CONF_DIR), "one configuration for every node"
    assert len(cookies) == 1 and "" not in cookies, cookies
    config = _settings(config.read_text())
    assert config.pop("cluster_formation.peer_discovery_backend") == "classic_config"
    peers = {
        v for k, v in config.items() if k.startswith("cluster_formation.classic_config.nodes.")
    }
    assert peers == {f"rabbit@{name}" for name in NODES}


def test_the_replica_clones_and_follows_the_primary() -> None:
    primary, replica = services()["postgres"], services()[REPLICA]
    assert replica["image"] == primary["image"]
    assert depends_on(replica) == {"postgres": "service_healthy"}
    assert environment(replica)["PRIMARY_HOST"] == "postgres"
    assert "pg_isready" in argv(replica["healthcheck"]["test"])
    # The entrypoint is the mounted script; it clones with pg_basebackup -R (standby.signal and
    # primary_conninfo) from PRIMARY_HOST, then runs the server.
    entrypoint = argv(replica["entrypoint"])
    script = _file(REPLICA, entrypoint[-1])
    text = script.read_text()
    commands = [
        shlex.split(line) for line in text.splitlines() if not line.lstrip().startswith("#")
    ]
    clone = next(words for words in commands if words and words[0] == "pg_basebackup")
    assert "-R" in clone and clone[clone.index("-h") + 1] == "$PRIMARY_HOST", clone
    assert re.search(r"^exec postgres\b", text, re.M)
    # The primary's client authentication admits replication from the other containers.
    command = argv(primary["command"])
    hba = command[command.index("-c") + 1].removeprefix("hba_file=")
    rules = [line.split() for line in _file("postgres", hba).read_text().splitlines()]
    assert ["host", "replication", "all", "all", "trust"] in rules


def test_the_cluster_env_points_every_process_at_the_profile() -> None:
    variables = env_file(CLUSTER_ENV)
    text = COMPOSE_FILE.read_text()
    for name in variables:
        assert f"${{{name}:-" in text, f"{CLUSTER_ENV.name} sets {name}, which compose never reads"
    database = environment(services()["postgres"])["POSTGRES_DB"]
    for name, spec in app_services().items():
        env = {
            key.lower(): interpolate(value, variables) for key, value in environment(spec).items()
        }
        settings = Settings(_env_file=None, **env)  # type: ignore[call-arg]
        nodes = [urlsplit(url) for url in settings.amqp_urls]
        assert [(url.hostname, url.port) for url in nodes] == [(n, 5672) for n in NODES], name
        assert settings.quorum_size == len(NODES), name
        assert settings.database_read_url is not None, name
        read = urlsplit(settings.database_read_url)
        assert (read.hostname, read.port, read.path) == (REPLICA, 5432, f"/{database}"), name


def test_the_header_shows_how_to_start_the_profile() -> None:
    text = "\n".join(comment_lines(COMPOSE_FILE))
    starts = re.findall(r"--env-file (\S+) --profile (\w+)", text)
    assert (str(CLUSTER_ENV.relative_to(ROOT)), PROFILE) in starts
