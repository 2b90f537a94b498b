// Package pgcluster runs a private PostgreSQL cluster from the system's server
// binaries. `make run` and `make test` use it when DATABASE_URL is not set: the
// cluster lives in the project (e.g. "<project>/.data/pg"), listens on
// 127.0.0.1 and its unix socket only, and lets in only who gives its
// generated password (scram-sha-256; the password is in
// <DataDir>/rowflow.password, mode 0600). It is for development and tests,
// never for production (fsync may be off, one superuser, no backups).
//
// # Lifecycle
//
// Start initializes the data directory on first use (initdb -U postgres,
// scram-sha-256 for local and host connections with a generated password,
// UTF8, locale C) and starts the server with `pg_ctl -w start`
// unless a live postmaster already serves the directory, in which case it is
// reused (Cluster.Started reports false and Cluster.Stop leaves it running).
// StopDir stops whatever server runs in a directory (`pg_ctl stop -m fast`).
//
// A server that died without cleaning up (crash, kill -9, reboot) leaves
// postmaster.pid and a socket lock file behind; when their pid is not a live
// postmaster of DataDir (gone, a zombie, or another process: on Linux the
// postmaster's working directory is its data directory), Start removes them
// and starts the server, which then recovers from its WAL.
//
// initdb runs in "<DataDir>.init" and the result is renamed to DataDir, so a
// directory holding PG_VERSION is always a complete cluster; an interrupted
// first start just leaves "<DataDir>.init" behind, and the next Start redoes it.
//
// # Files
//
//	<DataDir>.lock          flock taken by Start, Stop and StopDir: several
//	                        processes (rowflow, test binaries) may call them at
//	                        once for the same directory
//	<DataDir>/rowflow.conf  settings written by Start before each start it
//	                        performs; postgresql.conf includes it (a line added
//	                        once, at init)
//	<DataDir>/server.log    server log (pg_ctl -l); errors quote its last lines
//	<DataDir>/sock/         the server's unix socket directory
//	<DataDir>/rowflow.password  the postgres role's password, 0600
//	<DataDir>/pg_hba.conf   scram-sha-256 for every connection
//
// rowflow.conf holds listen_addresses = '127.0.0.1', the port,
// unix_socket_directories and max_connections = 200. The port is picked free
// at first start and remembered there; if it is taken by something else at a
// later start, another one is picked (and remembered). Edits to rowflow.conf
// are overwritten; other settings belong in postgresql.conf (before the
// include line) or ALTER SYSTEM (postgresql.auto.conf wins over both).
//
// Opts.Fast turns off fsync, synchronous_commit and full_page_writes (for
// tests). These are passed with `pg_ctl -o`, so they last only as long as
// the server started by that call (and whoever reuses it); a later start without
// Fast runs with the safe defaults. Fast also makes initdb skip its final sync.
//
// A unix socket path is limited to 107 bytes. When "<DataDir>/sock" is too long
// for one, the socket directory is os.TempDir()/rowflow-pg-<hash of DataDir>,
// mode 0700, owned by the server's user; StopDir removes it once empty.
//
// # Running as root
//
// initdb and postgres refuse to run as root. When the process runs as root, the
// cluster belongs to the `postgres` system user (or, for an existing data
// directory, to its owner): directories are chowned to it and initdb and pg_ctl
// run through `runuser -u postgres -- …` (or `su postgres -s /bin/sh -c …` when
// runuser is missing). That user must be able to traverse every parent of the
// data directory. When it cannot (a clone in /root or in a mktemp -d), the
// cluster lives in /var/lib/rowflow/<hash of DataDir>/<base name> instead
// (Placement; the folder's "origin" file names DataDir), Start logs where, and
// StopDir(DataDir) finds it there. A non-root process runs everything as itself.
//
// # Clusters made before passwords
//
// A data directory initialized with --auth=trust has no rowflow.password:
// Start sets a generated password on the postgres role, stores it, replaces
// pg_hba.conf and reloads the server.
//
// # Binaries
//
// BinDir finds initdb, pg_ctl and postgres: $ROWFLOW_PG_BINDIR, then
// `pg_config --bindir`, then the highest /usr/lib/postgresql/*/bin. For an
// existing data directory, Start prefers /usr/lib/postgresql/<PG_VERSION>/bin
// (unless ROWFLOW_PG_BINDIR is set), so installing a newer major version does
// not break an older cluster.
package pgcluster
