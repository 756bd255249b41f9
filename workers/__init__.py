"""Workers: consume commands and events from RabbitMQ and write PostgreSQL."""
