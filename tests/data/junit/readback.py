#!/usr/bin/python3
"""Reads a JUnit XML report with junitparser (Debian's python3-junitparser), a JUnit consumer
that mxconform does not control, and prints what it understood, one line per suite and case:

  suite NAME tests=N failures=N errors=N skipped=N recounted=N/N/N/N
  case CLASSNAME NAME RESULT [TYPE] MESSAGE
  property NAME VALUE

`recounted` is junitparser's own count of the cases' results (update_statistics), which must
agree with what the file declares."""
import copy
import sys

from junitparser import JUnitXml, Error, Failure, Skipped, TestSuite

xml = JUnitXml.fromfile(sys.argv[1])
suites = [xml] if isinstance(xml, TestSuite) else list(xml)
print("testsuites tests=%d failures=%d errors=%d skipped=%d" %
      (xml.tests, xml.failures, xml.errors, xml.skipped))
for suite in suites:
    recount = copy.deepcopy(suite)
    recount.update_statistics()
    print("suite %s tests=%d failures=%d errors=%d skipped=%d recounted=%d/%d/%d/%d" %
          (suite.name, suite.tests, suite.failures, suite.errors, suite.skipped,
           recount.tests, recount.failures, recount.errors, recount.skipped))
    for prop in suite.properties():
        print("property %s %s" % (prop.name, prop.value))
    for case in suite:
        results = case.result or []
        kind = "pass"
        detail = ""
        for r in results:
            if isinstance(r, Failure):
                kind = "failure"
            elif isinstance(r, Error):
                kind = "error"
            elif isinstance(r, Skipped):
                kind = "skipped"
            detail = "[%s] %s" % (r.type or "", r.message or "")
        out = "has-system-out" if case.system_out else "no-system-out"
        print("case %s %s %s %s %s" % (case.classname, case.name, kind, out, detail))
