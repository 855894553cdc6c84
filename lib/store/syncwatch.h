/*
 * syncwatch.h - tells a failed sync from any other write error.
 *
 * LMDB reports a short write and a failed fdatasync alike (EIO). They call
 * for opposite answers: a short write means the disk is full (STORAGE_FULL,
 * retryable, nothing of the transaction is referenced), while a failed sync
 * may have dropped dirty pages the kernel will never write again
 * (PostgreSQL's "fsyncgate", 2018): the writer must stop, and so must it
 * on a write the device refused (EIO). This module interposes fdatasync(),
 * fsync(), pwrite() and writev() for the process (ELF symbol interposition:
 * LMDB's calls resolve to these, which call the C library's) and counts the
 * syncs that failed and the writes that failed with EIO.
 */
#ifndef CANVASS_SYNCWATCH_H
#define CANVASS_SYNCWATCH_H

/* Failed fdatasync()/fsync() calls, and pwrite()/writev() failing with EIO, so far. */
unsigned long syncwatch_failures(void);

#endif
