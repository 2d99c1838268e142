"""The typed dependencies every handler and job receives through its context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.i18n import Translations
from bot.services.asks import AskService
from bot.services.checkin_requests import CheckinRequests
from bot.services.checkins import CheckinService
from bot.services.contacts import ContactService
from bot.services.discretion import DiscretionService
from bot.services.flood import FloodGuard
from bot.services.lastknown import LastKnownService
from bot.services.people import PeopleService
from bot.services.pins import PinService
from bot.services.questions import Questions
from bot.services.sweeper import Sweeper
from bot.services.teams import TeamService
from bot.settings import Settings


@dataclass(frozen=True)
class Services:
    """The use-case services, built once by the composition root."""

    settings: Settings
    clock: Clock
    translations: Translations
    people: PeopleService
    checkins: CheckinService
    checkin_requests: CheckinRequests
    contacts: ContactService
    lastknown: LastKnownService
    pins: PinService
    discretion: DiscretionService
    flood: FloodGuard
    sweeper: Sweeper
    teams: TeamService
    questions: Questions
    asks: AskService


class BotData:
    """PTB's ``bot_data``: holds the services and nothing else."""

    def __init__(self) -> None:
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """A callback context that hands out the services with their types."""

    @property
    def services(self) -> Services:
        """Return the wired services; fails loudly if wiring was skipped."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("the application was built without services")
        return services


BotApplication = Application[Any, BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
