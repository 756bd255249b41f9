"""A process's `/metrics` read as Prometheus reads it: prometheus_client's parser must take every
line, then samples are looked up by name and labels."""

from __future__ import annotations

from aiohttp import ClientSession
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


class Scrape:
    def __init__(self, text: str) -> None:
        # The parser is lazy: building the dict parses the whole text (ValueError if it cannot).
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self._samples = [sample for family in self.families.values() for sample in family.samples]

    def type_of(self, family: str) -> str:
        return self.families[family].type

    def samples(self, name: str, **labels: str) -> list[Sample]:
        """The samples called `name` whose labels include `labels`."""
        return [
            sample
            for sample in self._samples
            if sample.name == name and labels.items() <= sample.labels.items()
        ]

    def label_names(self, name: str) -> set[str]:
        return {label for sample in self.samples(name) for label in sample.labels}

    def value(self, name: str, **labels: str) -> float:
        """The one sample `name` with `labels`."""
        found = self.samples(name, **labels)
        assert len(found) == 1, (name, labels, found)
        return found[0].value


async def scrape(http: ClientSession, url: str = "/metrics") -> Scrape:
    async with http.get(url) as response:
        assert response.status == 200
        # Prometheus's text exposition format (the version depends on the client and Accept).
        assert response.content_type == "text/plain"
        assert "version=" in response.headers["Content-Type"]
        return Scrape(await response.text())
