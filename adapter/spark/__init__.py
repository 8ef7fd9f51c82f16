"""The Spark engine (`referee check --engine spark`, `referee spark`): the partitioned engine
on PySpark, for national volumes. pyspark is an optional extra: nothing here imports it until
a session is asked for (adapter/spark/session.py)."""
