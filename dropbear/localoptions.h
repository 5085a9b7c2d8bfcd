/* jobssh compile-time choices for the bundled Dropbear.
 * Copied into the Dropbear build directory; overrides default_options.h.
 * Runtime choices (listen address, host key, authorized_keys directory,
 * pid file, identity) are always given on the command line by jobssh. */
#ifndef JOBSSH_DROPBEAR_LOCALOPTIONS_H
#define JOBSSH_DROPBEAR_LOCALOPTIONS_H

/* ---- server: authentication ---- */
#define DROPBEAR_SVR_PASSWORD_AUTH 0   /* keys only: no password logins at all */
#define DROPBEAR_SVR_PAM_AUTH 0        /* no PAM (static build, keys only) */
#define DROPBEAR_SVR_PUBKEY_AUTH 1     /* public-key authentication (the only method) */
#define DROPBEAR_SVR_PUBKEY_OPTIONS 1  /* honour authorized_keys options (command=, no-pty, ...) */
#define DROPBEAR_PLUGIN 0              /* no external auth plugins (-A) in a static binary */
#define MAX_AUTH_TRIES 6               /* failed attempts per connection (-T overrides); agents offer several keys */
#define MAX_UNAUTH_PER_IP 16           /* concurrent pre-auth connections per source: launchers fan out */
#define MAX_UNAUTH_CLIENTS 64          /* concurrent pre-auth connections in total */
#define UNAUTH_CLOSE_DELAY 0           /* no delay before closing a failed connection (no passwords to guess) */
#define DROPBEAR_SVR_MULTIUSER 1       /* 0 makes the server exit on a normal kernel */
#define DROPBEAR_SVR_DROP_PRIVS 1      /* as root: drop to the user right after authentication */

/* ---- server: features ---- */
#define DROPBEAR_X11FWD 0              /* no X11 forwarding */
#define DROPBEAR_SVR_LOCALTCPFWD 0     /* compiled out: no -L / direct-tcpip into the job */
#define DROPBEAR_SVR_REMOTETCPFWD 0    /* compiled out: no -R listeners opened by the server */
#define DROPBEAR_SVR_LOCALSTREAMFWD 0  /* compiled out: no unix-socket forwarding */
#define DROPBEAR_SVR_AGENTFWD 0        /* compiled out: no agent forwarding into the job */
#define DO_MOTD 0                      /* jobs get no message of the day */
#define DO_HOST_LOOKUP 0               /* no reverse DNS on connect */
#define LOG_COMMANDS 0                 /* do not log user commands */
#define INETD_MODE 1                   /* keep -i (one connection on stdin/stdout) */
#define NON_INETD_MODE 1               /* the normal listening daemon */
#define DROPBEAR_REEXEC 1              /* re-exec per connection (fresh ASLR); start it by absolute path */
#define DROPBEAR_DELAY_HOSTKEY 0       /* no -R: jobssh always gives a host key with -r */
#define DROPBEAR_SFTPSERVER 1          /* run the image's OpenSSH sftp-server (OpenSSH 9 scp uses SFTP) */
#define SFTPSERVER_PATH "/usr/lib/openssh/sftp-server" /* where Debian/Ubuntu images keep it */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"  /* PATH for sessions without -e */
#define DEFAULT_ROOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" /* same, root */

/* ---- default paths (jobssh always overrides them on the command line) ---- */
#define DROPBEAR_DEFPORT "22"          /* unused: jobssh always passes -p address:port */
#define DROPBEAR_PIDFILE "/run/jobssh-dropbear.pid" /* unused: jobssh passes -P; not in ~ */
#define ECDSA_PRIV_FILENAME "/etc/jobssh/dropbear_ecdsa_host_key"     /* unused: -r given */
#define ED25519_PRIV_FILENAME "/etc/jobssh/dropbear_ed25519_host_key" /* unused: -r given */
#define RSA_PRIV_FILENAME "/etc/jobssh/dropbear_rsa_host_key"         /* unused: -r given */
#define DSS_PRIV_FILENAME "/etc/jobssh/dropbear_dss_host_key"         /* unused: DSS off */
/* The server's authorized_keys directory default (~/.ssh) is a runtime
 * default; jobssh always passes -D <dir> outside the user's home. The client
 * key default stays ~/.ssh/id_dropbear (the only place a client can find
 * without configuration); jobssh passes -i. */

/* ---- keys and algorithms ---- */
#define DROPBEAR_ED25519 1             /* ed25519 host and user keys (what jobssh generates) */
#define DROPBEAR_ECDSA 1               /* ecdsa keys too */
#define DROPBEAR_RSA 1                 /* verify users' RSA keys; jobssh never generates RSA (slow) */
#define DROPBEAR_RSA_SHA1 0            /* no ssh-rsa (SHA-1) signatures */
#define DROPBEAR_DSS 0                 /* no DSS */
#define DROPBEAR_SK_KEYS 1             /* accept FIDO (sk-*) user keys */
#define DROPBEAR_CURVE25519 1          /* fast key exchange */
#define DROPBEAR_MLKEM768 1            /* post-quantum hybrid kex, fast: preferred by dbclient, OpenSSH >= 9.9 */
#define DROPBEAR_SNTRUP761 0           /* off: ~60 ms CPU per login on each side; OpenSSH 9.0-9.8 use curve25519 */
#define DROPBEAR_ECDH 1                /* NIST ECDH key exchange */
#define DROPBEAR_DH_GROUP14_SHA256 1   /* for old clients */
#define DROPBEAR_DH_GROUP14_SHA1 0     /* no SHA-1 key exchange */
#define DROPBEAR_DH_GROUP16 0          /* slow, not needed */
#define DROPBEAR_DH_GROUP1 0           /* too weak */
#define DROPBEAR_CHACHA20POLY1305 1    /* preferred cipher */
#define DROPBEAR_AES128 1              /* AES-CTR for compatibility */
#define DROPBEAR_AES256 1              /* AES-CTR for compatibility */
#define DROPBEAR_ENABLE_CTR_MODE 1     /* CTR mode for AES */
#define DROPBEAR_ENABLE_CBC_MODE 0     /* no CBC */
#define DROPBEAR_ENABLE_GCM_MODE 1     /* AES-GCM as well */
#define DROPBEAR_3DES 0                /* no 3DES */
#define DROPBEAR_SHA2_256_HMAC 1       /* MAC for CTR modes */
#define DROPBEAR_SHA2_512_HMAC 1       /* MAC for CTR modes */
#define DROPBEAR_SHA1_HMAC 0           /* no SHA-1 MACs */
#define DROPBEAR_SHA1_96_HMAC 0        /* no SHA-1 MACs */
#define DROPBEAR_USER_ALGO_LIST 1      /* keep -c / -m to choose ciphers and MACs */
#define DROPBEAR_SMALL_CODE 0          /* faster ciphers (bulk scp/rsync inside jobs) for a little size */

/* ---- client (dbclient, scp) ---- */
#define DROPBEAR_CLI_PASSWORD_AUTH 0   /* never prompt for a password (would hang batch jobs) */
#define DROPBEAR_CLI_PUBKEY_AUTH 1     /* keys only */
#define DROPBEAR_CLI_LOCALTCPFWD 0     /* compiled out: the servers refuse forwarding anyway */
#define DROPBEAR_CLI_REMOTETCPFWD 0    /* compiled out, as above */
#define DROPBEAR_CLI_AGENTFWD 0        /* compiled out, as above */
#define DROPBEAR_CLI_NETCAT 0          /* compiled out: needs server-side forwarding */
#define DROPBEAR_CLI_PROXYCMD 1        /* keep -J <proxy command> */
#define DROPBEAR_CLI_ASKPASS_HELPER 0  /* no askpass helper */
#define DROPBEAR_USE_PASSWORD_ENV 0    /* no DROPBEAR_PASSWORD */
#define DROPBEAR_USE_SSH_CONFIG 0      /* no ~/.ssh/config parsing */
#define DROPBEAR_CLI_IMMEDIATE_AUTH 0  /* upstream default; not all servers accept it */

/* ---- misc ---- */
#define DEBUG_TRACE 0                  /* no -v tracing code */
#define DEFAULT_KEEPALIVE 0            /* -K sets keepalives at run time */
#define DEFAULT_IDLE_TIMEOUT 0         /* -I sets an idle timeout at run time */
/* Syslog stays compiled in (configure default): -E (log to stderr) needs it. */
/* DROPBEAR_PATH_SSH_PROGRAM (the ssh program scp runs as a client) is
 * appended by the build: the installed dbclient in $(pkglibexecdir). */

#endif
