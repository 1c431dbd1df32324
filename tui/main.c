/*
 * smtptool: a terminal program for debugging SMTP by hand.  main() parses
 * the command line and hands over to the TUI or the batch mode.
 */
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "certs.h"
#include "compose.h"
#include "replay_batch.h"
#include "secret.h"
#include "serve.h"
#include "exitcode.h"
#include "script.h"
#include "session.h"
#include "tui.h"

#ifndef SMTPTOOL_VERSION
#define SMTPTOOL_VERSION "0.0.0"
#endif

static const char usage_text[] =
"usage: smtptool [OPTIONS] [HOST[:PORT]]\n"
"       smtptool --batch FILE|- [OPTIONS] [HOST[:PORT]]\n"
"       smtptool certs [--starttls|--tls] [--json] [OPTIONS] HOST[:PORT]\n"
"       smtptool replay FILE [--batch [--json] [--save OUT]]\n"
"                      [--against HOST[:PORT] [--yes] [--user NAME]]\n"
"       smtptool serve [--listen ADDR:PORT] [--rules FILE] [--maildir DIR]\n"
"                      [--discard] [--seed N] [--max-clients N]\n"
"\n"
"Talk SMTP by hand: type commands, see every byte exchanged, with replies\n"
"explained.  With --batch, run a script without the screen and print the\n"
"transcript; the exit code names the step that failed.  certs reports the\n"
"TLS session and certificate chain of a server, verified for HOST.  serve\n"
"runs the sandbox SMTP server on loopback (127.0.0.1:2525 by default).\n"
"replay steps through a captured session (native, swaks or C:/S: text);\n"
"--against re-runs it on a live server and says which replies changed.\n"
"\n"
"  -b, --batch FILE|-         run the script FILE (- reads standard input)\n"
"\n"
"AUTH (the secret comes from SMTPTOOL_PASSWORD, --password-file or a\n"
"prompt; never from the command line):\n"
"      --auth MECH            PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER,\n"
"                             after the EHLO under TLS (implies --starttls\n"
"                             unless --tls)\n"
"      --user NAME            the user to authenticate as\n"
"      --password-file FILE   the secret is FILE's first line (mode 600)\n"
"      --allow-plaintext-auth let AUTH go over a connection without TLS\n"
"      --show-secrets         do not mask AUTH secrets in the transcript\n"
"\n"
"A message (with --from and --to and no --batch, the whole dialog runs\n"
"by itself: EHLO, STARTTLS and AUTH when asked, MAIL, RCPT, DATA, QUIT):\n"
"      --from ADDR, --to ADDR[,ADDR], --cc ..., --bcc ...\n"
"      --subject TEXT, --body FILE, --html FILE, --attach FILE (repeat)\n"
"      --header 'Name: value' (repeat; Date or Message-ID replace ours)\n"
"      --dsn-ret FULL|HDRS, --dsn-envid ID, --dsn-notify LIST, --dsn-orcpt\n"
"      --requiretls           MAIL with REQUIRETLS (RFC 8689)\n"
"      --bdat, --chunk-size N send with BDAT (CHUNKING) in N-byte chunks\n"
"\n"
"      --connect-timeout DUR  give up connecting after DUR (default 10s)\n"
"      --timeout DUR          give up waiting for a reply after DUR\n"
"                             (default 30s; 0 waits for ever)\n"
"  -4, -6                     use IPv4 only, or IPv6 only\n"
"      --helo NAME            the EHLO name of certs and of --from/--to\n"
"      --starttls             STARTTLS after EHLO, then EHLO again, by itself\n"
"      --tls                  implicit TLS from the start (port 465)\n"
"      --require-tls          QUIT unless the session is under verified TLS\n"
"      --sni NAME             send NAME as SNI and verify the certificate\n"
"                             for it (default: HOST)\n"
"      --ca-file FILE         trust FILE instead of the system store\n"
"      --crl-file FILE        check revocation against FILE\n"
"      --cert FILE, --key FILE  a client certificate and its key\n"
"      --priority STRING      GnuTLS priorities (TLS 1.0 and 1.1 are off)\n"
"      --keylog FILE          write TLS secrets for Wireshark (also\n"
"                             SSLKEYLOGFILE)\n"
"      --record FILE          write the transcript to FILE as it happens\n"
"      --json                 batch: print JSON Lines instead of the\n"
"                             native transcript; certs: a JSON report\n"
"  -v, --verbose              certs: the transcript on standard error\n"
"      --listen ADDR:PORT     serve: where to listen (port 0: any free one)\n"
"      --rules FILE           simulate throttling with FILE's rules: the\n"
"                             client does not send what a rule answers;\n"
"                             serve answers its clients with them\n"
"      --maildir DIR          serve: deliver there (default under\n"
"                             $XDG_DATA_HOME/smtptool/maildir)\n"
"      --discard              serve: accept messages and forget them\n"
"      --seed N               seed the rules' prob (reproducible runs)\n"
"      --max-clients N        serve: clients at once (default 256); more\n"
"                             get 421 4.7.0\n"
"      --color WHEN           auto, always or never (NO_COLOR is honoured)\n"
"      --no-sandbox           with no HOST: open the screen unconnected\n"
"                             instead of on the built-in sandbox\n"
"  -h, --help                 show this help\n"
"  -V, --version              show the version\n"
"\n"
"Targets: HOST, HOST:PORT, [IPv6]:PORT; the port defaults to 25.\n"
"Durations: 5s, 250ms, 1.5, 2m.  See smtptool(1) for scripts and exit\n"
"codes.\n";

enum {
	OPT_CONNECT_TIMEOUT = 256,
	OPT_TIMEOUT,
	OPT_RECORD,
	OPT_JSON,
	OPT_COLOR,
	OPT_HELO,
	OPT_STARTTLS,
	OPT_TLS,
	OPT_REQUIRE_TLS,
	OPT_SNI,
	OPT_CA_FILE,
	OPT_CRL_FILE,
	OPT_CERT,
	OPT_KEY,
	OPT_PRIORITY,
	OPT_KEYLOG,
	OPT_LISTEN,
	OPT_RULES,
	OPT_MAILDIR,
	OPT_DISCARD,
	OPT_SEED,
	OPT_NO_SANDBOX,
	OPT_MAX_CLIENTS,
	OPT_AUTH,
	OPT_USER,
	OPT_PASSWORD_FILE,
	OPT_ALLOW_PLAINTEXT_AUTH,
	OPT_SHOW_SECRETS,
	OPT_AGAINST,
	OPT_SAVE,
	OPT_YES,
	OPT_COMPOSE,		/* compose_option_names[i]: OPT_COMPOSE + i */
};

static const struct option long_options[] = {
	{ "batch", required_argument, NULL, 'b' },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ "helo", required_argument, NULL, OPT_HELO },
	{ "starttls", no_argument, NULL, OPT_STARTTLS },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "require-tls", no_argument, NULL, OPT_REQUIRE_TLS },
	{ "sni", required_argument, NULL, OPT_SNI },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "crl-file", required_argument, NULL, OPT_CRL_FILE },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "keylog", required_argument, NULL, OPT_KEYLOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "maildir", required_argument, NULL, OPT_MAILDIR },
	{ "discard", no_argument, NULL, OPT_DISCARD },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "allow-plaintext-auth", no_argument, NULL,
	    OPT_ALLOW_PLAINTEXT_AUTH },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "against", required_argument, NULL, OPT_AGAINST },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "yes", no_argument, NULL, OPT_YES },
	{ "from", required_argument, NULL, OPT_COMPOSE + 0 },
	{ "to", required_argument, NULL, OPT_COMPOSE + 1 },
	{ "cc", required_argument, NULL, OPT_COMPOSE + 2 },
	{ "bcc", required_argument, NULL, OPT_COMPOSE + 3 },
	{ "subject", required_argument, NULL, OPT_COMPOSE + 4 },
	{ "body", required_argument, NULL, OPT_COMPOSE + 5 },
	{ "html", required_argument, NULL, OPT_COMPOSE + 6 },
	{ "attach", required_argument, NULL, OPT_COMPOSE + 7 },
	{ "header", required_argument, NULL, OPT_COMPOSE + 8 },
	{ "dsn-ret", required_argument, NULL, OPT_COMPOSE + 9 },
	{ "dsn-envid", required_argument, NULL, OPT_COMPOSE + 10 },
	{ "dsn-notify", required_argument, NULL, OPT_COMPOSE + 11 },
	{ "dsn-orcpt", no_argument, NULL, OPT_COMPOSE + 12 },
	{ "requiretls", no_argument, NULL, OPT_COMPOSE + 13 },
	{ "bdat", no_argument, NULL, OPT_COMPOSE + 14 },
	{ "chunk-size", required_argument, NULL, OPT_COMPOSE + 15 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "smtptool: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'smtptool --help'.\n");
	return EXIT_USAGE;
}

/*
 * Load the TLS files named on the command line now, so that a missing CA
 * file or a bad priority string is said at once, not after connecting.
 */
static int
check_tls_files(const struct tls_config *cfg)
{
	struct tls_client	*tc;
	char			*err = NULL;

	if (cfg->ca_file == NULL && cfg->crl_file == NULL &&
	    cfg->cert_file == NULL && cfg->priority == NULL)
		return 0;
	if ((tc = tls_client_new(cfg, &err)) == NULL) {
		fprintf(stderr, "smtptool: %s\n", err != NULL ? err :
		    "cannot load the TLS options");
		free(err);
		return -1;
	}
	tls_client_free(tc);
	return 0;
}

/* The files of a message named on the command line must be readable now. */
static int
check_compose_files(const struct compose_options *co)
{
	const char	*f;
	size_t		 i;

	for (i = 0; i < 2 + co->natt; i++) {
		f = i == 0 ? co->body : i == 1 ? co->html : co->attach[i - 2];
		if (f != NULL && access(f, R_OK) == -1) {
			fprintf(stderr, "smtptool: cannot read %s: %s\n", f,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tui_options	 topt = { .color = TUI_COLOR_AUTO };
	struct batch_options	 bopt = { 0 };
	struct client_options	 copt = {
		.connect_timeout = SESSION_CONNECT_TIMEOUT,
		.reply_timeout = SESSION_REPLY_TIMEOUT,
		.family = AF_UNSPEC,
	};
	struct certs_options	 kopt = { .mode = CERTS_AUTO };
	const char		*batch = NULL, *record = NULL, *target = NULL;
	const char		*helo = NULL;
	struct serve_options	 sopt = { 0 };
	bool			 json = false, certs = false, verbose = false;
	bool			 serve = false, no_sandbox = false;
	bool			 replay = false, replay_batch_mode = false;
	struct replay_options	 ropt = { 0 };
	struct compose_options	 co = { 0 };
	struct secret		 sec = { 0 };
	const char		*auth = NULL, *user = NULL, *pwfile = NULL;
	const char		*why;
	char			*end, *err = NULL, prompt[300];
	char			 host[256];
	int			 ch, i, rc;

	/* Character types only: widths and UTF-8; messages stay as they are. */
	setlocale(LC_CTYPE, "");
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "certs") == 0) {
		certs = true;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "serve") == 0) {
		serve = true;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "replay") == 0) {
		/* "--batch" takes no script here: take it out. */
		replay = true;
		argc--;
		argv++;
		for (i = 1, ch = 1; i < argc; i++) {
			if (strcmp(argv[i], "--batch") == 0 ||
			    strcmp(argv[i], "-b") == 0)
				replay_batch_mode = true;
			else
				argv[ch++] = argv[i];
		}
		argc = ch;
		argv[argc] = NULL;
	}
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if ((why = secret_refused_option(argv[i])) != NULL) {
			fprintf(stderr, "smtptool: cannot take %s: %s\n",
			    argv[i][strcspn(argv[i], "=")] == '=' ?
			    "that option" : argv[i], why);
			return EXIT_USAGE;
		}
	while ((ch = getopt_long(argc, argv, "b:46hVv", long_options,
	    NULL)) != -1) {
		if (ch >= OPT_COMPOSE) {
			if (compose_option(&co, compose_option_names[ch -
			    OPT_COMPOSE], optarg, &err) == -1) {
				fprintf(stderr, "smtptool: %s\nTry 'smtptool "
				    "--help'.\n", err);
				free(err);
				compose_free(&co);
				return EXIT_USAGE;
			}
			continue;
		}
		switch (ch) {
		case 'b':
			batch = optarg;
			break;
		case '4':
			copt.family = AF_INET;
			break;
		case '6':
			copt.family = AF_INET6;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (script_duration(optarg,
			    &copt.connect_timeout) == -1 ||
			    copt.connect_timeout == 0)
				return usage_error("cannot parse "
				    "--connect-timeout: bad duration \"%s\"",
				    optarg);
			break;
		case OPT_TIMEOUT:
			if (script_duration(optarg, &copt.reply_timeout) == -1)
				return usage_error("cannot parse --timeout: "
				    "bad duration \"%s\"", optarg);
			break;
		case OPT_RECORD:
			record = optarg;
			break;
		case OPT_HELO:
			helo = optarg;
			break;
		case OPT_STARTTLS:
			copt.starttls = true;
			kopt.mode = CERTS_STARTTLS;
			break;
		case OPT_TLS:
			copt.implicit_tls = true;
			kopt.mode = CERTS_TLS;
			break;
		case OPT_REQUIRE_TLS:
			copt.require_tls = true;
			break;
		case OPT_SNI:
			copt.sni = optarg;
			break;
		case OPT_CA_FILE:
			copt.tls.ca_file = optarg;
			break;
		case OPT_CRL_FILE:
			copt.tls.crl_file = optarg;
			break;
		case OPT_CERT:
			copt.tls.cert_file = optarg;
			break;
		case OPT_KEY:
			copt.tls.key_file = optarg;
			break;
		case OPT_PRIORITY:
			copt.tls.priority = optarg;
			break;
		case OPT_KEYLOG:
			copt.tls.keylog_file = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case OPT_LISTEN:
			sopt.listen = optarg;
			break;
		case OPT_RULES:
			sopt.rules = optarg;
			break;
		case OPT_MAILDIR:
			sopt.maildir = optarg;
			break;
		case OPT_DISCARD:
			sopt.discard = true;
			break;
		case OPT_NO_SANDBOX:
			no_sandbox = true;
			break;
		case OPT_MAX_CLIENTS:
			errno = 0;
			sopt.max_clients = strtoull(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    sopt.max_clients == 0 || sopt.max_clients > 100000)
				return usage_error("cannot parse --max-clients: "
				    "\"%s\" is not a number from 1 to 100000",
				    optarg);
			break;
		case OPT_SEED:
			errno = 0;
			sopt.seed = strtoull(optarg, &end, 0);
			if (errno != 0 || *optarg == '\0' || *end != '\0')
				return usage_error("cannot parse --seed: "
				    "\"%s\" is not a number", optarg);
			sopt.seed_set = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_AUTH:
			auth = optarg;
			if ((copt.auth_mech = sasl_mech(optarg,
			    strlen(optarg))) == SASL_NONE)
				return usage_error("cannot parse --auth: \"%s\" "
				    "is not PLAIN, LOGIN, CRAM-MD5, XOAUTH2 or "
				    "OAUTHBEARER", optarg);
			break;
		case OPT_USER:
			user = optarg;
			break;
		case OPT_PASSWORD_FILE:
			pwfile = optarg;
			break;
		case OPT_ALLOW_PLAINTEXT_AUTH:
			copt.allow_plaintext_auth = true;
			break;
		case OPT_SHOW_SECRETS:
			copt.show_secrets = true;
			break;
		case OPT_AGAINST:
			ropt.against = optarg;
			break;
		case OPT_SAVE:
			ropt.save = optarg;
			break;
		case OPT_YES:
			ropt.yes = true;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				topt.color = TUI_COLOR_AUTO;
			else if (strcmp(optarg, "always") == 0)
				topt.color = TUI_COLOR_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				topt.color = TUI_COLOR_NEVER;
			else
				return usage_error("cannot parse --color: "
				    "\"%s\" is not auto, always or never",
				    optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("smtptool %s\n", SMTPTOOL_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'smtptool --help'.\n");
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		return usage_error("too many arguments: \"%s\"", argv[1]);
	if (argc == 1)
		target = argv[0];
	if (copt.starttls && copt.implicit_tls)
		return usage_error("%s", "--starttls and --tls exclude each "
		    "other");
	if (copt.tls.key_file != NULL && copt.tls.cert_file == NULL)
		return usage_error("%s", "--key needs --cert");
	if (check_tls_files(&copt.tls) == -1)
		return EXIT_USAGE;
	if (auth != NULL && user == NULL)
		return usage_error("--auth %s needs --user NAME", auth);
	if (check_compose_files(&co) == -1) {
		compose_free(&co);
		return EXIT_USAGE;
	}

	/* The EHLO name of certs and of the message dialog. */
	if (helo == NULL) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0' ||
		    memchr(host, '\0', sizeof(host)) == NULL)
			strcpy(host, "localhost");
		helo = host;
	}
	if (replay) {
		if (target == NULL)
			return usage_error("%s", "replay needs FILE (a capture: "
			    "native, swaks or C:/S: text)");
		if (compose_wanted(&co) || batch != NULL || serve || certs)
			return usage_error("%s", "replay takes a capture, not a "
			    "message nor a script");
		ropt.file = target;
		ropt.record = record;
		ropt.json = json;
		ropt.user = user;
		ropt.password_file = pwfile;
		ropt.client = copt;
		if (replay_batch_mode) {
			if (json && ropt.save != NULL && strcmp(ropt.save,
			    "-") == 0)
				return usage_error("%s", "--save - and --json "
				    "both want standard output");
			return replay_batch(&ropt);
		}
		if (ropt.save != NULL || json)
			return usage_error("%s", "--save and --json are for "
			    "replay --batch");
		topt.replay = target;
		topt.against = ropt.against;
		topt.yes = ropt.yes;
		topt.client = copt;
		topt.color = topt.color;
		topt.user = user;
		topt.password_file = pwfile;
		topt.record = record;
		return tui_run(&topt);
	}
	if (serve) {
		if (target != NULL)
			return usage_error("serve takes no target (use "
			    "--listen): \"%s\"", target);
		if (sopt.discard && sopt.maildir != NULL)
			return usage_error("%s", "--discard and --maildir "
			    "exclude each other");
		return serve_run(&sopt);
	}
	if (certs) {
		if (target == NULL)
			return usage_error("%s", "certs needs HOST[:PORT]");
		if (batch != NULL || record != NULL)
			return usage_error("%s", "certs takes neither --batch "
			    "nor --record");
		kopt.target = target;
		kopt.helo = helo;
		kopt.client = copt;
		kopt.json = json;
		kopt.verbose = verbose;
		return certs_run(&kopt);
	}

	if (compose_wanted(&co) && batch == NULL && target == NULL) {
		compose_free(&co);
		return usage_error("%s", "--from and --to send a message at "
		    "once: they need HOST[:PORT]");
	}
	if (auth != NULL) {
		/* AUTH goes under TLS: STARTTLS unless told otherwise. */
		if (!copt.implicit_tls && !copt.allow_plaintext_auth)
			copt.starttls = true;
		snprintf(prompt, sizeof(prompt), "%s for %s: ",
		    copt.auth_mech == SASL_XOAUTH2 ||
		    copt.auth_mech == SASL_OAUTHBEARER ? "Token" : "Password",
		    user);
		if (secret_get(&sec, pwfile, prompt, true, &err) == -1) {
			fprintf(stderr, "smtptool: %s\n", err);
			free(err);
			compose_free(&co);
			return EXIT_USAGE;
		}
		copt.auth_user = user;
		copt.auth_secret = sec.p;
		copt.auth_secretlen = sec.len;
	}
	if (batch != NULL || compose_wanted(&co)) {
		bopt.script = batch;
		bopt.helo = helo;
		bopt.compose = &co;
		bopt.user = user;
		bopt.password_file = pwfile;
		bopt.target = target;
		bopt.client = copt;
		bopt.record = record;
		bopt.json = json;
		bopt.rules = sopt.rules;
		bopt.seed = sopt.seed_set ? sopt.seed : (uint64_t)getpid();
		rc = batch_run(&bopt);
		secret_clear(&sec);
		compose_free(&co);
		return rc;
	}
	if (json)
		return usage_error("%s", "--json needs --batch");
	topt.target = target;
	topt.client = copt;
	topt.record = record;
	topt.sandbox = target == NULL && !no_sandbox;
	topt.serve = sopt;
	topt.serve.rules = NULL;	/* --rules: the client simulates */
	topt.rules = sopt.rules;
	topt.seed = sopt.seed_set ? sopt.seed : (uint64_t)getpid();
	topt.helo = helo;
	topt.user = user;
	topt.password_file = pwfile;
	rc = tui_run(&topt);
	secret_clear(&sec);
	compose_free(&co);
	return rc;
}
