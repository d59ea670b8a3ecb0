#!/usr/bin/python3
"""check_openlineage.py - validates `dla lineage --format openlineage` output.

Usage: check_openlineage.py SCHEMA EVENTS.ndjson [--counts COUNTS.txt]
                            [--namespace-prefix PREFIX]

Every line must be one JSON object valid against SCHEMA (the hand-written
OpenLineage 2-0-2 RunEvent subset beside this file) with a jsonschema
Draft 2020-12 validator, plus what a format checker without extra packages
cannot see:
  - eventTime is an RFC 3339 date-time with a time zone;
  - every runId is a UUID (version 5, RFC 4122 variant);
  - schemaURL is the 2-0-2 RunEvent URL;
  - each run has exactly one START and then exactly one COMPLETE, FAIL or
    ABORT, not earlier than its START;
  - namespaces never hold credentials (no '@', 'pwd', 'password', 'uid=');
  - with --counts (lines "job rowcount"): the COMPLETE event of that job has
    an output with outputStatistics.rowCount equal to it;
  - with --namespace-prefix: every dataset namespace starts with it.
Prints "openlineage: N events, M runs valid" or one FAIL line per problem.
"""
import datetime
import json
import re
import sys
import uuid

try:
    import jsonschema
except ImportError:  # pragma: no cover - environment problem
    sys.stderr.write("check_openlineage: python3-jsonschema is not installed (make deps)\n")
    sys.exit(2)

RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def main(argv):
    args = argv[1:]
    counts, prefix = {}, None
    if "--counts" in args:
        i = args.index("--counts")
        with open(args[i + 1]) as f:
            for line in f:
                if line.strip():
                    job, n = line.split()
                    counts[job] = int(n)
        del args[i:i + 2]
    if "--namespace-prefix" in args:
        i = args.index("--namespace-prefix")
        prefix = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0]) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    runs = {}
    n_events = 0
    with open(args[1]) as f:
        lines = f.read().splitlines()
    for number, line in enumerate(lines, 1):
        where = "line %d" % number
        try:
            event = json.loads(line)
        except ValueError as e:
            problems.append("%s: not JSON: %s" % (where, e))
            continue
        n_events += 1
        for error in validator.iter_errors(event):
            path = "/".join(str(p) for p in error.absolute_path)
            problems.append("%s: %s: %s" % (where, path or "(event)", error.message))
        if not isinstance(event, dict):
            continue
        if event.get("schemaURL") != RUN_EVENT:
            problems.append("%s: schemaURL is %r" % (where, event.get("schemaURL")))
        t = event.get("eventTime", "")
        if not DATE_TIME.match(t):
            problems.append("%s: eventTime %r is not an RFC 3339 date-time" % (where, t))
            continue
        # Python 3.11 reads 1 to 6 fraction digits and a +00:00 offset
        when = datetime.datetime.fromisoformat(t[:-1] + "+00:00" if t.endswith("Z") else t)
        run_id = event.get("run", {}).get("runId", "")
        try:
            u = uuid.UUID(run_id)
            if u.version != 5 or u.variant != uuid.RFC_4122:
                problems.append("%s: runId %s is not a version 5 UUID" % (where, run_id))
        except ValueError:
            problems.append("%s: runId %r is not a UUID" % (where, run_id))
        datasets = event.get("inputs", []) + event.get("outputs", [])
        for ds in datasets:
            ns = ds.get("namespace", "")
            low = ns.lower()
            if "@" in ns or "pwd" in low or "password" in low or "uid=" in low:
                problems.append("%s: namespace %r may hold credentials" % (where, ns))
            if prefix and not ns.startswith(prefix):
                problems.append("%s: namespace %r does not start with %r" % (where, ns, prefix))
        job = event.get("job", {}).get("name", "")
        runs.setdefault(run_id, []).append((event.get("eventType"), when, job, event))
    for run_id, events in runs.items():
        types = [e[0] for e in events]
        if len(types) != 2 or types[0] != "START" or types[1] not in ("COMPLETE", "FAIL", "ABORT"):
            problems.append("run %s (%s): events %s, expected START then COMPLETE/FAIL/ABORT"
                            % (run_id, events[0][2], types))
            continue
        if events[1][1] < events[0][1]:
            problems.append("run %s (%s): ends before it starts" % (run_id, events[0][2]))
    for job, want in counts.items():
        got = None
        for events in runs.values():
            for kind, _, name, event in events:
                if name == job and kind == "COMPLETE":
                    for out in event.get("outputs", []):
                        stats = out.get("outputFacets", {}).get("outputStatistics")
                        if stats:
                            got = stats.get("rowCount")
        if got != want:
            problems.append("job %s: rowCount %r, expected %d" % (job, got, want))
    for p in problems:
        print("openlineage: FAIL %s" % p)
    if not problems:
        print("openlineage: %d events, %d runs valid" % (n_events, len(runs)))
    return 1 if problems or n_events == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
