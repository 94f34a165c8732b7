-- docker-compose: the receipt index's own database beside Temporal's (the index creates its table).
CREATE DATABASE cascade_receipts;
