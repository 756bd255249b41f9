"""Demo data: a believable Spanish-speaking plant, loaded into an empty database.

catalog.py holds the fixed tables it is drawn from; plant.py (locations, catalogs, users,
assets) and plans.py (routines, programs) the equipment side; orders.py and work.py the work
side (orders, their steps, notices); meters.py the condition side (meters, readings, a program
by use, an alarm); batch.py how rows are written; load.py the entry points.
"""

from shared.demo.catalog import LOGINS, DemoLogin
from shared.demo.load import database_is_empty, load_demo_data

__all__ = ["LOGINS", "DemoLogin", "database_is_empty", "load_demo_data"]
