"""HTTP routers of the hub API, one module per resource."""
