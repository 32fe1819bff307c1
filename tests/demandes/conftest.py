from tests.demandes.support import account, app, specs_dir, store_name, tiers, user  # noqa: F401
