"""RabbitMQ: the topology, publishing with confirms, the gateway's RPC client."""
