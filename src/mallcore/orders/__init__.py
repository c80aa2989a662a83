"""Orders, shipments, after-sales and refunds."""
