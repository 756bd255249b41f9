"""The plant-day windows of the unpaginated reads (the technician's schedule and its calendar
feed, the workload): both days included, at most `MAX_DAYS` of them (the contract's Limits), a
week from whichever end is given by default."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, model_validator

from shared.messages.fields import Day

DEFAULT_DAYS = 7
MAX_DAYS = 366


class DayWindowQuery(BaseModel):
    """Plant days, both included. Without dates: today … today + 7; with only one of them, the
    other is 7 days away from it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    start_date: Day | None = None
    end_date: Day | None = None

    @model_validator(mode="after")
    def _bounded(self) -> DayWindowQuery:
        if self.start_date is None or self.end_date is None:
            return self
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if (self.end_date - self.start_date).days >= MAX_DAYS:
            raise ValueError(f"the window may span at most {MAX_DAYS} days")
        return self

    def window(self, today: date) -> tuple[date, date]:
        week = timedelta(days=DEFAULT_DAYS)
        if self.start_date is not None and self.end_date is not None:
            return self.start_date, self.end_date
        if self.end_date is not None:
            return self.end_date - week, self.end_date
        start = self.start_date or today
        return start, start + week
