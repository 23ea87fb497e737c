"""tests/mutants/common.py: what the mutant lists share.

A mutant is one deliberate breakage of kttcp: a piece of text that must
occur exactly once in one file of the work tree, what replaces it, and
the scripts/check steps that must then fail.  The lists are by the part
they break: tool.py (userland/, caught by the unit tests), module.py
(module/, caught in a lab guest) and lab.py (the lab itself).
scripts/mutants runs them; scripts/mutants --check, a step of make
check, fails in seconds when one no longer applies.
"""


class Mutant:
    def __init__(self, mid, path, old, new, steps, what):
        self.id, self.path, self.old, self.new = mid, path, old, new
        self.steps, self.what = list(steps), what


# The scripts/check steps that run for each kind of mutant.
UNIT = ["-s", "build", "-s", "unit"]
SELFTEST = ["-s", "selftest"]


def guest(group, *tests):
    """The steps that boot one guest for GROUP (TOPO:SCRIPT) on the
    mutant's kernel and run the named test functions of it (all, when
    none are named).  Naming the functions that guard a mutant keeps a
    mutant to a few tens of seconds; they must be functions that make
    check runs in that group."""
    steps = ["-s", "build", "-s", "guest", "-g", group, "--quick"]
    if tests:
        steps += ["-o", ",".join(tests)]
    return steps


CORE = guest("loop:core")
FAULTS = guest("loop:faults")
SOAK = guest("loop:soak")
# tests/ioctl_test and tests/hostile, run by core.py: the module through
# its ioctls alone, about half a minute each.
IOCTL = guest("loop:core", "test_ioctl_selftest")
HOSTILE = guest("loop:core", "test_hostile")
