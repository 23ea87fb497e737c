#!/usr/bin/env python3
"""netns.py - kttcp between two network namespaces joined by veth.

    scripts/lab -k 6.12 -t netns -- python3 tests/guest/netns.py

Host A (sender) and host B (receiver) are namespaces on one kernel, so
the path crosses a real device pair (veth) rather than lo.  Runs core.py's
transfer checks there: every mode pair, zerocopy completions (all copied:
veth delivers to a local socket), a timed run, IPv6, parallel streams,
plain TCP peers and the tool's errors.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import core  # noqa: E402
import kt  # noqa: E402


TESTS = [core.test_mode_matrix, core.test_mode_paths, core.test_timed,
         core.test_ipv6, core.test_parallel, core.test_plain_peers,
         core.test_tool_errors, core.test_socket_options]


def main():
    t = kt.Results("netns", TESTS)
    for fn in TESTS:
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    main()
