"""Telegram out: the outbox drained by a scheduler, Telegram's answers classified.

- :mod:`~bot.delivery.worker`: the send loop (priorities, pacing, per-chat order);
- :mod:`~bot.delivery.outcomes`: pure classification of Telegram's answers;
- :mod:`~bot.delivery.render`: an outbox row and one snapshot into what to send;
- :mod:`~bot.delivery.messenger`: the calls to Telegram;
- :mod:`~bot.delivery.sparing`: groups the activist is in, spared silent alerts.
"""

from __future__ import annotations

from bot.delivery.worker import DeliveryWorker

__all__ = ["DeliveryWorker"]
