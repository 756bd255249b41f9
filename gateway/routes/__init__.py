"""HTTP routes by area; each module exposes `routes`, a `web.RouteTableDef`."""
