/*
 * syncwatch.h - tells a failed sync of the store from any other write error.
 *
 * LMDB reports a short write and a failed fdatasync alike (EIO). They call
 * for opposite answers: a short write means the disk is full (STORAGE_FULL,
 * retryable, nothing of the transaction is referenced), while a failed sync
 * may have dropped dirty pages the kernel will never write again
 * (PostgreSQL's "fsyncgate", 2018): the writer must stop, and so must it
 * on a write the device refused (EIO).
 *
 * This module interposes fdatasync(), fsync(), pwrite(), pwrite64() and
 * writev() in the aggregator alone (ELF symbol interposition: it is linked
 * into canvass-aggregator only, and LMDB's calls there resolve to these,
 * which call the C library's). It counts a failure only on the file it was
 * told to watch (the store's data.mdb, by device and inode, so both of
 * LMDB's descriptors of it count, and no other file does). The C library's
 * functions are looked up once, thread-safely.
 */
#ifndef CANVASS_SYNCWATCH_H
#define CANVASS_SYNCWATCH_H

/*
 * Watches path (the store's data file) from now on, replacing any file
 * watched before. 0, or -1 with errno when path cannot be stat'ed.
 */
int syncwatch_watch(const char *path);

/*
 * Failed fdatasync()/fsync() calls, and pwrite()/pwrite64()/writev() failing
 * with EIO, on the watched file so far.
 */
unsigned long syncwatch_failures(void);

#endif
