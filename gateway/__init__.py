"""The HTTP gateway: authenticates, validates, reads from PostgreSQL, sends commands over AMQP."""
