"""HTTP routers: each module here that defines `router` is included by `api.app.create_app`."""
