"""docker-compose.yml, checked without a Docker engine: the services the issue and the Makefile
name exist, every command they run is one the CLI accepts, every dependency and environment
variable refers to something real, and the commands in its comments (and the Dockerfile's) exist."""

from __future__ import annotations

import re
import shlex
from urllib.parse import urlsplit

import yaml

from gateway.routes.ops import routes as ops_routes
from shared.cli import COMMANDS
from shared.settings import Settings
from tests.unit.compose_file import (
    COMPOSE_FILE,
    app_services,
    argv,
    assert_data_in_named_volumes,
    comment_lines,
    depends_on,
    environment,
    interpolate,
    services,
    worker_service,
)
from tests.unit.container_files import (
    DOCKERFILE,
    ROOT,
    SETTINGS_FIELDS,
    dockerfile_env,
    final_stage,
    parse_cli,
)
from workers.runner import WORKER_GROUPS, validate_groups

PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"

INFRASTRUCTURE = ("postgres", "rabbitmq")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


# --- docker-compose.yml --------------------------------------------------------------------------


def test_the_required_services_exist() -> None:
    required = {
        *INFRASTRUCTURE,
        "migrate",
        "gateway",
        *(worker_service(group) for group in WORKER_GROUPS),
    }
    missing = required - services().keys()
    assert not missing, f"docker-compose.yml lacks {sorted(missing)}"


def test_the_services_the_makefile_starts_exist_with_healthchecks() -> None:
    lines = [
        line for line in (ROOT / "Makefile").read_text().splitlines() if "docker compose up" in line
    ]
    assert lines, "the Makefile no longer starts services with docker compose"
    for line in lines:
        words = shlex.split(line.split("docker compose up", 1)[1].split(";", 1)[0])
        named = [word for word in words if not word.startswith("-")]
        assert named, line
        for name in named:
            assert name in services(), f"the Makefile starts {name!r}, which compose lacks"
            # `up --wait` waits for healthy: without a healthcheck it only waits for "running".
            assert "healthcheck" in services()[name], f"{name} has no healthcheck"


def test_infrastructure_images_and_healthchecks() -> None:
    postgres, rabbitmq = services()["postgres"], services()["rabbitmq"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(argv(postgres["healthcheck"]["test"]))
    assert rabbitmq["image"].startswith("rabbitmq:3.13-management")
    assert argv(rabbitmq["healthcheck"]["test"])[-3:] == ["rabbitmq-diagnostics", "-q", "ping"]
    assert_data_in_named_volumes(INFRASTRUCTURE)


def test_every_app_service_runs_a_real_subcommand() -> None:
    expected = {
        "migrate": "migrate",
        "gateway": "gateway",
        **{worker_service(group): "worker" for group in WORKER_GROUPS},
    }
    apps = app_services()
    assert expected.keys() <= apps.keys(), "migrate, gateway and the workers build the image"
    for name, spec in apps.items():
        assert "command" in spec, f"{name} does not say which subcommand it runs"
        args = argv(spec["command"])
        assert args[0] == "mantenimiento", f"{name} runs {args[0]!r}, not the console script"
        parsed = parse_cli(args[1:])
        assert parsed.command in COMMANDS
        if name in expected:
            assert parsed.command == expected[name], f"{name} runs {parsed.command!r}"


def test_one_scalable_worker_service_per_queue_group() -> None:
    consumed: dict[str, str] = {}
    for name, spec in app_services().items():
        parsed = parse_cli(argv(spec["command"])[1:])
        if parsed.command != "worker":
            continue
        groups = [group.strip() for group in parsed.queues.split(",") if group.strip()]
        assert validate_groups(groups) == groups  # raises on a group the worker refuses
        assert groups == [name.removeprefix("worker-")], f"{name} consumes {groups}"
        consumed[groups[0]] = name
        # `--scale` starts several containers of the service: names and host ports would clash.
        assert "container_name" not in spec, f"{name} cannot scale with a container_name"
        assert not spec.get("ports"), f"{name} cannot scale with published ports"
        assert "WORKER_METRICS_PORT" in environment(spec), f"{name} sets no WORKER_METRICS_PORT"
    assert set(consumed) == set(WORKER_GROUPS), (
        f"groups without a worker service: {sorted(set(WORKER_GROUPS) - set(consumed))}"
    )


def test_depends_on_targets_and_conditions() -> None:
    every = services()
    for name, spec in every.items():
        for target, condition in depends_on(spec).items():
            assert target in every, f"{name} depends on {target!r}, which does not exist"
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} → {target}: {condition!r}"
            if condition == "service_healthy":
                check = every[target].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), (
                    f"{name} waits for {target} to be healthy, but it has no healthcheck"
                )
            if condition == "service_completed_successfully":
                assert str(every[target].get("restart", "no")) == "no", (
                    f"{target} is waited for to complete: it must not restart"
                )


def test_the_dependency_order_of_the_stack() -> None:
    every = services()
    assert depends_on(every["migrate"]) == {"postgres": "service_healthy"}
    for name in ["gateway", *(worker_service(group) for group in WORKER_GROUPS)]:
        deps = depends_on(every[name])
        assert deps.get("migrate") == "service_completed_successfully", name
        assert deps.get("rabbitmq") == "service_healthy", name


def test_app_environment_names_and_values_are_settings() -> None:
    for name, spec in app_services().items():
        env = environment(spec)
        assert {"DATABASE_URL", "AMQP_URL", "PLANT_TZ"} <= env.keys(), name
        unknown = {variable for variable in env if variable.upper() not in SETTINGS_FIELDS}
        assert not unknown, f"{name} sets {sorted(unknown)}, which Settings does not read"
        # The values (with compose's defaults) validate: ports are ints, the zone exists.
        settings = Settings(
            _env_file=None, **{key.lower(): interpolate(value) for key, value in env.items()}
        )
        assert settings.tz is not None


def test_the_urls_point_at_the_compose_services() -> None:
    every = services()
    postgres_env = environment(every["postgres"])
    for name, spec in app_services().items():
        env = {key: interpolate(value) for key, value in environment(spec).items()}
        database = urlsplit(env["DATABASE_URL"])
        assert database.scheme == "postgresql+asyncpg"
        assert (database.hostname, database.port) == ("postgres", 5432), name
        assert database.path.lstrip("/") == postgres_env["POSTGRES_DB"], name
        assert database.username == postgres_env.get("POSTGRES_USER", "postgres"), name
        if database.password is None:
            assert postgres_env.get("POSTGRES_HOST_AUTH_METHOD") == "trust", name
        else:
            assert database.password == interpolate(postgres_env["POSTGRES_PASSWORD"]), name
        broker = urlsplit(env["AMQP_URL"])
        assert (broker.scheme, broker.hostname, broker.port) == ("amqp", "rabbitmq", 5672), name


def test_the_gateway_healthcheck_asks_the_readiness_route() -> None:
    gateway = services()["gateway"]
    port = int(dockerfile_env(final_stage())["HTTP_PORT"])
    assert any(str(mapping).endswith(f":{port}") for mapping in gateway["ports"])
    test = argv(gateway["healthcheck"]["test"])
    assert test[:2] == ["CMD", "python"], "slim has no curl: the check uses python's urllib"
    urls = re.findall(r"https?://[^'\"\s]+", " ".join(test))
    assert len(urls) == 1, test
    url = urlsplit(urls[0])
    assert (url.hostname, url.port) == ("127.0.0.1", port)
    assert url.path == "/mantenimiento/health/ready/"
    assert url.path in {route.path for route in ops_routes}, "the route does not exist"


def test_the_worker_healthcheck_asks_the_metrics_port() -> None:
    for group in WORKER_GROUPS:
        spec = services()[worker_service(group)]
        if "healthcheck" not in spec:
            continue
        port = environment(spec)["WORKER_METRICS_PORT"]
        assert f"127.0.0.1:{port}/" in " ".join(argv(spec["healthcheck"]["test"]))


def test_the_commands_in_the_comments_exist() -> None:
    text = "\n".join(comment_lines(COMPOSE_FILE))
    scaled = re.findall(r"--scale\s+([\w-]+)=\d+", text)
    assert worker_service("ordenes") in scaled, "the header shows how to scale the workers"
    for name in scaled:
        assert name in services(), f"a comment scales {name!r}, which does not exist"
    for path in (COMPOSE_FILE, DOCKERFILE):
        for sub in re.findall(r"\bmantenimiento ([a-z][a-z-]*)", "\n".join(comment_lines(path))):
            assert sub in COMMANDS, f"{path.name} mentions `mantenimiento {sub}`"
    for service in re.findall(r"docker compose run (?:--\S+ )*([\w-]+)", text):
        assert service in services(), f"a comment runs {service!r}, which does not exist"


def test_prometheus_scrapes_the_compose_services_on_their_ports() -> None:
    every = services()
    mounted = {volume.split(":")[0] for volume in every["prometheus"]["volumes"]}
    assert "./deploy/prometheus" in mounted
    jobs = {
        job["job_name"]: job
        for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    }
    gateway_port = dockerfile_env(final_stage())["HTTP_PORT"]
    assert jobs["gateway"]["static_configs"][0]["targets"] == [f"gateway:{gateway_port}"]
    (workers,) = jobs["workers"]["dns_sd_configs"]
    assert set(workers["names"]) == {worker_service(group) for group in WORKER_GROUPS}
    for name in workers["names"]:
        assert environment(every[name])["WORKER_METRICS_PORT"] == str(workers["port"]), name
    assert jobs["rabbitmq"]["static_configs"][0]["targets"] == ["rabbitmq:15692"]


def test_every_bind_mount_is_a_file_of_the_repository() -> None:
    for name, spec in services().items():
        for volume in spec.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_grafana_reads_the_compose_prometheus() -> None:
    every = services()
    provisioning = ROOT / "deploy" / "grafana" / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    url = urlsplit(source["url"])
    published = {mapping.rsplit(":", 1)[-1] for mapping in every["prometheus"]["ports"]}
    assert url.hostname == "prometheus" and str(url.port) in published
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "mantenimiento.yml").read_text())[
        "providers"
    ]
    dashboards = provider["options"]["path"]
    assert any(
        volume.split(":")[1].startswith(dashboards) for volume in every["grafana"]["volumes"]
    )
