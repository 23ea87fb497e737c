"""tests/mutants/lab.py: breakages of the lab that its self-test must catch (scripts/mutants)."""

from common import Mutant, SELFTEST

MUTANTS = [
    # --- the lab --------------------------------------------------------
    Mutant("splat-blind-to-warn", "scripts/lab",
           "SPLAT_RE='WARNING:|", "SPLAT_RE='", SELFTEST,
           "the splat detector blind to WARNING"),
    Mutant("lab-exit-status-lost", "scripts/lab",
           '\t\tv_status=$(cat "$ctl/status.$role")',
           "\t\tv_status=0", SELFTEST,
           "the lab loses the guest command's exit status"),
]
