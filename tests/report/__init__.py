"""Tests of the output formats (adapter/report/). A package, so that test module names such
as `test_fhir` do not collide with tests of other packages."""
