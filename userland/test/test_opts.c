// SPDX-License-Identifier: GPL-2.0
/*
 * test_opts.c - number parsing, mode names, whole command lines.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../include/kttcp.h"
#include "../opts.h"
#include "check.h"

static char errbuf[1024];

/* Parse a command line given as one string (words split on blanks). */
static int parse(struct kttcp_opts *o, const char *line)
{
	char copy[512], *argv[64], *tok, *save = NULL;
	struct capture c;
	int argc = 0, rc;

	snprintf(copy, sizeof(copy), "kttcp %s", line);
	for (tok = strtok_r(copy, " ", &save); tok && argc < 63;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	/* Not zeroes: the defaults checked must come from opts_parse(). */
	memset(o, 0x5a, sizeof(*o));
	rc = opts_parse(o, argc, argv, cap_open(&c));
	snprintf(errbuf, sizeof(errbuf), "%s", cap_text(&c));
	cap_free(&c);
	return rc;
}

/*
 * The parsers under test, each writing over a sentinel first: "v == 0"
 * after parsing "0" must say the parser wrote 0, not that v was 0 before.
 */
#define SENTINEL	0x5a5a5a5a5a5a5a5aULL

static int pbytes(const char *s, uint64_t *v)
{
	*v = SENTINEL;
	return parse_bytes(s, v);
}

static int psecs(const char *s, uint64_t *ns)
{
	*ns = SENTINEL;
	return parse_seconds(s, ns);
}

static int puint(const char *s, unsigned long max, unsigned long *v)
{
	*v = (unsigned long)SENTINEL;
	return parse_uint(s, max, v);
}

static void test_bytes(void)
{
	uint64_t v;

	CHECK(pbytes("0", &v) == 0 && v == 0, "bytes: 0");
	CHECK(pbytes("12345", &v) == 0 && v == 12345, "bytes: plain");
	CHECK(pbytes("64k", &v) == 0 && v == 65536, "bytes: 64k");
	CHECK(pbytes("64K", &v) == 0 && v == 65536, "bytes: 64K");
	CHECK(pbytes("10m", &v) == 0 && v == 10485760, "bytes: 10m");
	CHECK(pbytes("3G", &v) == 0 && v == 3221225472ULL, "bytes: 3G");
	CHECK(pbytes("18446744073709551615", &v) == 0 &&
	      v == UINT64_MAX, "bytes: UINT64_MAX");
	CHECK(pbytes("18446744073709551616", &v) == -ERANGE,
	      "bytes: 2^64 overflows");
	CHECK(pbytes("17179869184g", &v) == -ERANGE,
	      "bytes: suffix overflow (2^34 g)");
	CHECK(pbytes("17179869183g", &v) == 0 &&
	      v == 17179869183ULL << 30, "bytes: largest g");
	CHECK(pbytes("", &v) == -EINVAL, "bytes: empty");
	CHECK(pbytes("-1", &v) == -EINVAL, "bytes: negative");
	CHECK(pbytes(" 1", &v) == -EINVAL, "bytes: leading blank");
	CHECK(pbytes("+1", &v) == -EINVAL, "bytes: plus sign");
	CHECK(pbytes("12q", &v) == -EINVAL, "bytes: bad suffix");
	CHECK(pbytes("1kk", &v) == -EINVAL, "bytes: two suffixes");
	CHECK(pbytes("1.5m", &v) == -EINVAL, "bytes: fraction");
	CHECK(pbytes("k", &v) == -EINVAL, "bytes: suffix alone");
	CHECK(pbytes("0x10", &v) == -EINVAL, "bytes: hex");
}

static void test_seconds(void)
{
	uint64_t ns;

	CHECK(psecs("2", &ns) == 0 && ns == 2000000000ULL, "secs: 2");
	CHECK(psecs("0.5", &ns) == 0 && ns == 500000000ULL,
	      "secs: 0.5");
	CHECK(psecs(".25", &ns) == 0 && ns == 250000000ULL,
	      "secs: .25");
	CHECK(psecs("1.000000001", &ns) == 0 && ns == 1000000001ULL,
	      "secs: nanosecond");
	CHECK(psecs("1.0000000019", &ns) == 0 && ns == 1000000001ULL,
	      "secs: past ns ignored");
	CHECK(psecs("3.", &ns) == 0 && ns == 3000000000ULL, "secs: 3.");
	CHECK(psecs("", &ns) == -EINVAL, "secs: empty");
	CHECK(psecs(".", &ns) == -EINVAL, "secs: dot alone");
	CHECK(psecs("-1", &ns) == -EINVAL, "secs: negative");
	CHECK(psecs("1s", &ns) == -EINVAL, "secs: garbage");
	CHECK(psecs("1.2.3", &ns) == -EINVAL, "secs: two dots");
	CHECK(psecs("18446744074", &ns) == -ERANGE, "secs: overflow");
	CHECK(psecs("99999999999999999999999", &ns) == -ERANGE,
	      "secs: huge");
}

static void test_uint(void)
{
	unsigned long v;

	CHECK(puint("128", 128, &v) == 0 && v == 128, "uint: at max");
	CHECK(puint("129", 128, &v) == -ERANGE, "uint: above max");
	CHECK(puint("4x", 128, &v) == -EINVAL, "uint: garbage");
	CHECK(puint("-4", 128, &v) == -EINVAL, "uint: negative");
}

static void test_modes(void)
{
	CHECK(mode_parse(true, "copy") == KTTCP_SEND_COPY, "mode: send copy");
	CHECK(mode_parse(true, "sendpage") == KTTCP_SEND_SENDPAGE,
	      "mode: sendpage");
	CHECK(mode_parse(true, "zerocopy") == KTTCP_SEND_ZEROCOPY,
	      "mode: zerocopy");
	CHECK(mode_parse(true, "trunc") == -1, "mode: trunc is no send mode");
	CHECK(mode_parse(false, "copy") == KTTCP_RECV_COPY, "mode: recv copy");
	CHECK(mode_parse(false, "trunc") == KTTCP_RECV_TRUNC, "mode: trunc");
	CHECK(mode_parse(false, "readsock") == KTTCP_RECV_READSOCK,
	      "mode: readsock");
	CHECK(mode_parse(false, "zerocopy") == -1,
	      "mode: zerocopy is no receive mode");
	CHECK(mode_parse(false, "COPY") == -1, "mode: case matters");
	CHECK_STR(mode_name(true, KTTCP_SEND_ZEROCOPY), "zerocopy",
		  "mode name: zerocopy");
	CHECK_STR(mode_name(false, KTTCP_RECV_READSOCK), "readsock",
		  "mode name: readsock");
	CHECK_STR(mode_name(true, 7), "?", "mode name: out of range");
}

static void test_good_lines(void)
{
	struct kttcp_opts o;

	CHECK(parse(&o, "-r") == 0 && o.role == ROLE_RECEIVER &&
	      o.total == 0 && !o.total_set && strcmp(o.port, "22222") == 0 &&
	      o.verbose == 1 && o.streams == 1 && o.sockbuf == 0 &&
	      o.family == AF_UNSPEC && o.mode == 0 && o.chunk == 0,
	      "argv: -r defaults");
	CHECK(parse(&o, "-t host") == 0 && o.role == ROLE_SENDER &&
	      strcmp(o.host, "host") == 0 && o.total == 10485760 &&
	      o.omit_ns == 0,
	      "argv: -t default 10 MiB, nothing omitted");
	CHECK(parse(&o, "-t -T 3 -O 1.5 host") == 0 &&
	      o.duration_ns == 3000000000ULL && o.omit_ns == 1500000000ULL,
	      "argv: -T 3 -O 1.5");
	CHECK(parse(&o, "-r --omit 2") == 0 && o.omit_ns == 2000000000ULL,
	      "argv: a receiver's --omit 2");
	CHECK(parse(&o, "-t -b 256k -n 1g -p 5001 -q -4 ::1") == 0 &&
	      o.sockbuf == 262144 && o.total == 1073741824ULL &&
	      strcmp(o.port, "5001") == 0 && o.verbose == 0 &&
	      o.family == AF_INET && strcmp(o.host, "::1") == 0,
	      "argv: NetBSD sender options");
	CHECK(parse(&o, "-r -v -6 -n 1m") == 0 && o.verbose == 2 &&
	      o.family == AF_INET6 && o.total == 1048576 && o.total_set,
	      "argv: receiver -n");
	CHECK(parse(&o, "-t -m zerocopy -T 0.5 -l 128k -J -i 1 -P 4 -M 1400 -C bbr -D -B 10.0.0.1 -w 2.5 h") == 0 &&
	      o.mode == KTTCP_SEND_ZEROCOPY && o.duration_ns == 500000000ULL &&
	      o.total == 0 && o.chunk == 131072 && o.json &&
	      o.interval_ns == 1000000000ULL && o.streams == 4 &&
	      o.mss == 1400 && strcmp(o.congestion, "bbr") == 0 &&
	      o.nodelay && strcmp(o.bind_addr, "10.0.0.1") == 0 &&
	      o.timeout_ns == 2500000000ULL,
	      "argv: every sender extension");
	CHECK(parse(&o, "--transmit --mode=sendpage --time 3 --length 1m --json --interval 0.5 --parallel 2 --mss 1000 --congestion cubic --nodelay --bind ::1 --timeout 1 --sockbuf 1m --port 1 h") == 0 &&
	      o.mode == KTTCP_SEND_SENDPAGE && o.duration_ns == 3000000000ULL &&
	      o.chunk == 1048576 && o.streams == 2 && o.sockbuf == 1048576 &&
	      strcmp(o.port, "1") == 0,
	      "argv: long options");
	CHECK(parse(&o, "-r -m readsock") == 0 &&
	      o.mode == KTTCP_RECV_READSOCK, "argv: receive mode readsock");
	CHECK(parse(&o, "-r -V") == 0 && o.verify, "argv: -V with copy");
	CHECK(parse(&o, "-m trunc -r") == 0 && o.mode == KTTCP_RECV_TRUNC,
	      "argv: -m before -r");
	CHECK(parse(&o, "host -t -n 5") == 0 && strcmp(o.host, "host") == 0 &&
	      o.total == 5, "argv: host before options");
	CHECK(parse(&o, "-t -P 128 h") == 0 && o.streams == 128,
	      "argv: -P 128");
	CHECK(parse(&o, "-t -l 64m h") == 0 && o.chunk == KTTCP_CHUNK_MAX,
	      "argv: -l at KTTCP_CHUNK_MAX");
	CHECK(parse(&o, "-r -q -v") == 0 && o.verbose == 2,
	      "argv: last of -q/-v wins");
	CHECK(parse(&o, "--help") == 0 && o.help, "argv: --help");
	CHECK(parse(&o, "-h -t") == 0 && o.help, "argv: -h skips checks");
	CHECK(parse(&o, "--version") == 0 && o.version, "argv: --version");
	CHECK(parse(&o, "-t -T 86400 h") == 0, "argv: -T at the maximum");
	CHECK(parse(&o, "-t -P 3 -A 1,0 h") == 0 && o.ncpus == 2 &&
	      o.cpus[0] == 1 && o.cpus[1] == 0, "argv: -P 3 -A 1,0");
	CHECK(parse(&o, "-r --affinity 1023") == 0 && o.ncpus == 1 &&
	      o.cpus[0] == 1023, "argv: --affinity at CPU_SETSIZE - 1");
	CHECK(parse(&o, "-t -m zerocopy,copy -N 3 h") == 0 && o.nmodes == 2 &&
	      o.modes[0] == KTTCP_SEND_ZEROCOPY && o.modes[1] == KTTCP_SEND_COPY &&
	      o.mode == KTTCP_SEND_ZEROCOPY && o.repeat == 3 && !o.modes_all &&
	      opts_compare(&o), "argv: -m LIST -N 3, in the order given");
	CHECK(parse(&o, "-t --mode all h") == 0 && o.modes_all &&
	      o.nmodes == 0 && o.repeat == 1 && opts_compare(&o),
	      "argv: -m all (resolved later, from the module)");
	CHECK(parse(&o, "-t -m sendpage --repeat 1000 h") == 0 &&
	      o.nmodes == 1 && o.mode == KTTCP_SEND_SENDPAGE &&
	      o.repeat == 1000 && opts_compare(&o),
	      "argv: one mode, repeated (-N at its ceiling)");
	CHECK(parse(&o, "-t -m sendpage h") == 0 && !opts_compare(&o) &&
	      parse(&o, "-r -k -m trunc") == 0 && !opts_compare(&o),
	      "argv: one mode once is one transfer, not a comparison");
	CHECK(parse(&o, "-t -C abcdefghijklmno h") == 0 &&
	      strcmp(o.congestion, "abcdefghijklmno") == 0,
	      "argv: -C of 15 characters, the longest the kernel takes");
	CHECK(parse(&o, "-t -T 0.01 -w 0.01 -M 88 h") == 0 &&
	      o.duration_ns == 10000000ULL && o.timeout_ns == 10000000ULL &&
	      o.mss == 88, "argv: -T, -w and -M at their floors");
}

static void bad_line(const char *line, const char *msg)
{
	struct kttcp_opts o;
	char name[160];
	int rc = parse(&o, line);

	snprintf(name, sizeof(name), "argv rejected: %s", line);
	CHECK(rc == 1, name);
	snprintf(name, sizeof(name), "argv message: %s", line);
	CHECK_HAS(errbuf, msg, name);
	snprintf(name, sizeof(name), "argv usage hint: %s", line);
	CHECK_HAS(errbuf, "Try 'kttcp --help'", name);
}

static void test_bad_lines(void)
{
	bad_line("", "specify -r (receive) or -t (transmit)");
	bad_line("-r -t h", "-r and -t are mutually exclusive");
	bad_line("-t", "-t: missing host");
	bad_line("-t a b", "unexpected argument 'b'");
	bad_line("-r host", "the receiver takes no host");
	bad_line("-r -4 -6", "-4 and -6 are mutually exclusive");
	bad_line("-r -n 12q", "-n: invalid byte count '12q'");
	bad_line("-r -n -5", "-n: invalid byte count '-5'");
	bad_line("-r -n 0", "-n: '0' is too small");
	bad_line("-t -n 99999999999999999999 h", "-n: '99999999999999999999' is too large");
	bad_line("-r -b 2g", "-b: '2g' is too large");
	bad_line("-r -b x", "-b: invalid byte count 'x'");
	bad_line("-t -m bogus h", "valid send modes: copy, sendpage, zerocopy");
	bad_line("-r -m zerocopy", "valid receive modes: copy, trunc, readsock");
	bad_line("-r -T 5", "-T is for the sender (-t) only");
	bad_line("-t -T 5 -n 1m h", "-T and -n are mutually exclusive");
	bad_line("-t -T 0 h", "must be more than 0 seconds");
	bad_line("-t -T 0.009 h", "-T: '0.009' seconds is too short");
	bad_line("-t -T 86401 h", "too long");
	bad_line("-t -T 1x h", "-T: invalid number of seconds '1x'");
	bad_line("-t -O 1 h", "-O needs a timed send (-T)");
	bad_line("-t -n 1m -O 1 h", "-O needs a timed send (-T)");
	bad_line("-t -T 86000 -O 401 h", "-T plus -O: at most 86400 seconds");
	bad_line("-r -O 0.009", "-O: '0.009' seconds is too short");
	bad_line("-t -V h", "-V is for the receiver (-r) only");
	bad_line("-r -V -m trunc", "-V needs receive mode copy");
	bad_line("-r -m readsock -V", "-V needs receive mode copy");
	bad_line("-t -P 0 h", "-P: '0' is out of range (1..128)");
	bad_line("-t -P 129 h", "-P: '129' is out of range (1..128)");
	bad_line("-t -P two h", "-P: invalid number 'two'");
	bad_line("-t -l 0 h", "-l: '0' is too small");
	bad_line("-t -l 65m h", "-l: '65m' is too large");
	bad_line("-r -p 0", "-p: '0' is out of range (1..65535)");
	bad_line("-r -p 65536", "-p: '65536' is out of range");
	bad_line("-r -p http", "-p: invalid number 'http'");
	bad_line("-r -i 0", "-i: '0': must be more than 0 seconds");
	bad_line("-r -i 0.099", "-i: '0.099' seconds is too short");
	bad_line("-r -w 0.005", "-w: '0.005' seconds is too short (at least 0.01)");
	bad_line("-t -M 87 h", "-M: '87' is out of range (88..65535)");
	bad_line("-r -w abc", "-w: invalid number of seconds 'abc'");
	bad_line("-t -M 70000 h", "-M: '70000' is out of range");
	bad_line("-t -C averyveryverylongname h", "-C: invalid congestion control name");
	/* TCP_CA_NAME_MAX is 16 with the NUL: the kernel would cut it. */
	bad_line("-t -C abcdefghijklmnop h", "-C: invalid congestion control name 'abcdefghijklmnop'");
	bad_line("-t -k h", "-k is for the receiver (-r) only");
	bad_line("-t -A 0,x h", "-A: invalid CPU list '0,x' (CPU numbers separated by commas, e.g. 0,2)");
	bad_line("-r -A 0,", "-A: invalid CPU list '0,'");
	bad_line("-r -A -1", "-A: invalid CPU list '-1'");
	bad_line("-r -A 1024", "-A: CPU '1024' is out of range (0..1023)");
	bad_line("-t -A 0,1 h", "-A: 2 CPUs for 1 stream (-P)");
	bad_line("-t -m copy,copy h", "-m: mode copy is listed twice");
	bad_line("-t -m copy,,zerocopy h", "-m: invalid mode list 'copy,,zerocopy'");
	bad_line("-t -m copy,trunc h", "-m: unknown send mode 'trunc' (valid send modes: copy, sendpage, zerocopy, all; several separated by commas)");
	bad_line("-t -m copy,all h", "-m: unknown send mode 'all'");
	bad_line("-r -m trunc,copy", "-m: a receiver takes one mode, not 'trunc,copy'");
	bad_line("-r -m all", "-m: a receiver takes one mode, not 'all'");
	bad_line("-t -N 0 h", "-N: '0' is out of range (1..1000)");
	bad_line("-t -N 1001 h", "-N: '1001' is out of range (1..1000)");
	bad_line("-r -N 2", "-N is for the sender (-t) only");
	bad_line("-r -x", "unknown option '-x'");
	bad_line("-r --frobnicate", "unknown option '--frobnicate'");
	bad_line("-r -n", "option -n (--bytes) needs an argument");
	bad_line("-r --json=yes", "option --json takes no argument");
}

void test_opts(void)
{
	test_bytes();
	test_seconds();
	test_uint();
	test_modes();
	test_good_lines();
	test_bad_lines();
}
