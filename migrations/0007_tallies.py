"""The tallies' index on case surveys: one quarter's surveys school by school, with every column a tally counts.

Tallies (and the checklist's "surveys filed this quarter") group a quarter's surveys by school. Without it SQLite
walks the whole table in school order through the school index (about 20 s for a country's 1,000,000 surveys);
with it both read this index alone (bench/bench_tallies.py). models/surveys.py declares the same index.
"""

TABLE = "case_survey"
COLUMNS = ["quarter", "school_id", "category", "procedure", "outcome", "follow_up", "satisfaction"]


def up(migrator, db):
    migrator.migrate(migrator.add_index(TABLE, COLUMNS, False))


def down(migrator, db):
    from playhouse.migrations import make_index_name

    migrator.migrate(migrator.drop_index(TABLE, make_index_name(TABLE, COLUMNS)))
