/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msg.h - diagnostics on stderr, always prefixed "kttcp: " (not argv[0],
 * so the messages are the same however the tool was started).
 */
#ifndef KTTCP_MSG_H
#define KTTCP_MSG_H

void kwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The text of the last kwarn() (without "kttcp: "), "" if none. */
const char *kwarn_last(void);

#endif /* KTTCP_MSG_H */
