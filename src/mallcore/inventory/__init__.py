"""Stock of a shop's SKUs: reservations, sales, returns and their audit trail (ORD-6, ORD-9)."""

from __future__ import annotations

from mallcore.inventory.stock import Inventory, Movement, MovementKind, StockLevel

__all__ = ["Inventory", "Movement", "MovementKind", "StockLevel"]
