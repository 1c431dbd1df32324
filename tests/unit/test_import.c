/*
 * Unit tests: transcript/import.c, captures that smtptool did not write.
 * The swaks snippets are real swaks 20201014 output (smtp-sink, aiosmtpd,
 * the sandbox and tests/peers/hostile.py on loopback; the whole captures
 * are in tests/import/), kept byte for byte: the CR at the end of the
 * message lines is swaks's own.  The records are compared as the native
 * format writes them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "import.h"
#include "transcript.h"

/* swaks 20201014 against Postfix's smtp-sink: the default message. */
static const char swaks_plain[] =
	"=== Trying 127.0.0.1:25251...\n"
	"=== Connected to 127.0.0.1.\n"
	"<-  220 smtp-sink ESMTP\n"
	" -> EHLO client.example\n"
	"<-  250-smtp-sink\n"
	"<-  250-PIPELINING\n"
	"<-  250-8BITMIME\n"
	"<-  250-AUTH PLAIN LOGIN\n"
	"<-  250-XCLIENT NAME HELO\n"
	"<-  250-XFORWARD NAME ADDR PROTO HELO\n"
	"<-  250-ENHANCEDSTATUSCODES\n"
	"<-  250-DSN\n"
	"<-  250 \n"
	" -> MAIL FROM:<a@example.org>\n"
	"<-  250 2.1.0 Ok\n"
	" -> RCPT TO:<b@example.org>\n"
	"<-  250 2.1.5 Ok\n"
	" -> DATA\n"
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> Date: Tue, 01 Dec 2026 01:26:47 +0000\r\n"
	" -> To: b@example.org\r\n"
	" -> From: a@example.org\r\n"
	" -> Subject: test Tue, 01 Dec 2026 01:26:47 +0000\r\n"
	" -> Message-Id: <20261201012647.003991@vm>\r\n"
	" -> X-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/\r\n"
	" -> \r\n"
	" -> This is a test mailing\r\n"
	" -> \r\n"
	" -> \r\n"
	" -> .\n"
	"<-  250 2.0.0 Ok\n"
	" -> QUIT\n"
	"<-  221 Bye\n"
	"=== Connection closed with remote host.\n";

/* STARTTLS against the sandbox (smtptool serve): " ~>" and "<~ " after it. */
static const char swaks_tls[] =
	"<-  250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\n"
	" -> STARTTLS\n"
	"<-  220 2.0.0 Ready to start TLS\n"
	"=== TLS started with cipher TLSv1.3:TLS_AES_256_GCM_SHA384:256\n"
	"=== TLS no local certificate set\n"
	"=== TLS peer DN=\"/O=smtptool sandbox (not for real mail)/CN=sandbox.smtptool.test\"\n"
	" ~> EHLO client.example\n"
	"<~  250-sandbox.smtptool.test\n"
	"<~  250-PIPELINING\n"
	"<~  250-SIZE 10485760\n"
	"<~  250-8BITMIME\n"
	"<~  250-SMTPUTF8\n";

/* The sandbox with -tls --pipeline --show-time-lapse --show-raw-text. */
static const char swaks_raw[] =
	"=== Trying 127.0.0.1:25252...\n"
	"=== Connected to 127.0.0.1.\n"
	"<   0000: 32 32 30 20  73 61 6E 64  62 6F 78 2E  73 6D 74 70    220.sandbox.smtp\n"
	"<   0016: 74 6F 6F 6C  2E 74 65 73  74 20 45 53  4D 54 50 20    tool.test.ESMTP.\n"
	"<   0032: 73 6D 74 70  74 6F 6F 6C  20 73 61 6E  64 62 6F 78    smtptool.sandbox\n"
	"<   0048: 0D 0A                                                 ..              \n"
	"=== response in 0.000s\n"
	"<-  220 sandbox.smtptool.test ESMTP smtptool sandbox\n"
	" -> EHLO client.example\n"
	"  > 0000: 45 48 4C 4F  20 63 6C 69  65 6E 74 2E  65 78 61 6D    EHLO.client.exam\n"
	"  > 0016: 70 6C 65 0D  0A                                       ple..           \n"
	"<   0000: 32 35 30 2D  73 61 6E 64  62 6F 78 2E  73 6D 74 70    250-sandbox.smtp\n"
	"<   0016: 74 6F 6F 6C  2E 74 65 73  74 0D 0A 32  35 30 2D 50    tool.test..250-P\n"
	"<   0032: 49 50 45 4C  49 4E 49 4E  47 0D 0A 32  35 30 2D 53    IPELINING..250-S\n"
	"<   0048: 49 5A 45 20  31 30 34 38  35 37 36 30  0D 0A 32 35    IZE.10485760..25\n"
	"<   0064: 30 2D 38 42  49 54 4D 49  4D 45 0D 0A  32 35 30 2D    0-8BITMIME..250-\n"
	"<   0080: 53 4D 54 50  55 54 46 38  0D 0A 32 35  30 2D 45 4E    SMTPUTF8..250-EN\n"
	"<   0096: 48 41 4E 43  45 44 53 54  41 54 55 53  43 4F 44 45    HANCEDSTATUSCODE\n"
	"<   0112: 53 0D 0A 32  35 30 2D 43  48 55 4E 4B  49 4E 47 0D    S..250-CHUNKING.\n"
	"<   0128: 0A 32 35 30  2D 44 53 4E  0D 0A 32 35  30 2D 53 54    .250-DSN..250-ST\n"
	"<   0144: 41 52 54 54  4C 53 0D 0A  32 35 30 20  41 55 54 48    ARTTLS..250.AUTH\n"
	"<   0160: 20 50 4C 41  49 4E 20 4C  4F 47 49 4E  20 43 52 41    .PLAIN.LOGIN.CRA\n"
	"<   0176: 4D 2D 4D 44  35 20 58 4F  41 55 54 48  32 20 4F 41    M-MD5.XOAUTH2.OA\n"
	"<   0192: 55 54 48 42  45 41 52 45  52 0D 0A                    UTHBEARER..     \n"
	"=== response in 0.000s\n"
	"<-  250-sandbox.smtptool.test\n"
	"<-  250-PIPELINING\n"
	"<-  250-SIZE 10485760\n"
	"<-  250-8BITMIME\n"
	"<-  250-SMTPUTF8\n"
	"<-  250-ENHANCEDSTATUSCODES\n"
	"<-  250-CHUNKING\n"
	"<-  250-DSN\n"
	"<-  250-STARTTLS\n"
	"<-  250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\n"
	" -> STARTTLS\n"
	"  > 0000: 53 54 41 52  54 54 4C 53  0D 0A                       STARTTLS..      \n"
	"<   0000: 32 32 30 20  32 2E 30 2E  30 20 52 65  61 64 79 20    220.2.0.0.Ready.\n"
	"<   0016: 74 6F 20 73  74 61 72 74  20 54 4C 53  0D 0A          to.start.TLS..  \n"
	"=== response in 0.000s\n"
	"<-  220 2.0.0 Ready to start TLS\n"
	"=== TLS started with cipher TLSv1.3:TLS_AES_256_GCM_SHA384:256\n"
	"=== TLS no local certificate set\n"
	"=== TLS peer DN=\"/O=smtptool sandbox (not for real mail)/CN=sandbox.smtptool.test\"\n"
	" ~> EHLO client.example\n"
	"  > 0000: 45 48 4C 4F  20 63 6C 69  65 6E 74 2E  65 78 61 6D    EHLO.client.exam\n"
	"  > 0016: 70 6C 65 0D  0A                                       ple..           \n"
	"<   0000: 32 35 30 2D  73 61 6E 64  62 6F 78 2E  73 6D 74 70    250-sandbox.smtp\n"
	"<   0016: 74 6F 6F 6C  2E 74 65 73  74 0D 0A 32  35 30 2D 50    tool.test..250-P\n"
	"<   0032: 49 50 45 4C  49 4E 49 4E  47 0D 0A 32  35 30 2D 53    IPELINING..250-S\n"
	"<   0048: 49 5A 45 20  31 30 34 38  35 37 36 30  0D 0A 32 35    IZE.10485760..25\n"
	"<   0064: 30 2D 38 42  49 54 4D 49  4D 45 0D 0A  32 35 30 2D    0-8BITMIME..250-\n"
	"<   0080: 53 4D 54 50  55 54 46 38  0D 0A 32 35  30 2D 45 4E    SMTPUTF8..250-EN\n"
	"<   0096: 48 41 4E 43  45 44 53 54  41 54 55 53  43 4F 44 45    HANCEDSTATUSCODE\n"
	"<   0112: 53 0D 0A 32  35 30 2D 43  48 55 4E 4B  49 4E 47 0D    S..250-CHUNKING.\n"
	"<   0128: 0A 32 35 30  2D 44 53 4E  0D 0A 32 35  30 2D 52 45    .250-DSN..250-RE\n"
	"<   0144: 51 55 49 52  45 54 4C 53  0D 0A 32 35  30 20 41 55    QUIRETLS..250.AU\n"
	"<   0160: 54 48 20 50  4C 41 49 4E  20 4C 4F 47  49 4E 20 43    TH.PLAIN.LOGIN.C\n"
	"<   0176: 52 41 4D 2D  4D 44 35 20  58 4F 41 55  54 48 32 20    RAM-MD5.XOAUTH2.\n"
	"<   0192: 4F 41 55 54  48 42 45 41  52 45 52 0D  0A             OAUTHBEARER..   \n"
	"=== response in 0.000s\n"
	"<~  250-sandbox.smtptool.test\n"
	"<~  250-PIPELINING\n"
	"<~  250-SIZE 10485760\n"
	"<~  250-8BITMIME\n"
	"<~  250-SMTPUTF8\n"
	"<~  250-ENHANCEDSTATUSCODES\n"
	"<~  250-CHUNKING\n"
	"<~  250-DSN\n"
	"<~  250-REQUIRETLS\n"
	"<~  250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\n"
	" ~> MAIL FROM:<a@example.org>\n"
	" ~> RCPT TO:<b@example.org>\n"
	" ~> DATA\n"
	"  > 0000: 4D 41 49 4C  20 46 52 4F  4D 3A 3C 61  40 65 78 61    MAIL.FROM:<a@exa\n"
	"  > 0016: 6D 70 6C 65  2E 6F 72 67  3E 0D 0A 52  43 50 54 20    mple.org>..RCPT.\n"
	"  > 0032: 54 4F 3A 3C  62 40 65 78  61 6D 70 6C  65 2E 6F 72    TO:<b@example.or\n"
	"  > 0048: 67 3E 0D 0A  44 41 54 41  0D 0A                       g>..DATA..      \n"
	"<   0000: 32 35 30 20  32 2E 31 2E  30 20 4F 6B  0D 0A 32 35    250.2.1.0.Ok..25\n"
	"<   0016: 30 20 32 2E  31 2E 35 20  4F 6B 0D 0A  33 35 34 20    0.2.1.5.Ok..354.\n"
	"<   0032: 45 6E 64 20  64 61 74 61  20 77 69 74  68 20 3C 43    End.data.with.<C\n"
	"<   0048: 52 3E 3C 4C  46 3E 2E 3C  43 52 3E 3C  4C 46 3E 0D    R><LF>.<CR><LF>.\n"
	"<   0064: 0A                                                    .               \n"
	"=== response in 0.000s\n"
	"<~  250 2.1.0 Ok\n"
	"=== response in 0.000s\n"
	"<~  250 2.1.5 Ok\n"
	"=== response in 0.000s\n"
	"<~  354 End data with <CR><LF>.<CR><LF>\n"
	" ~> Date: Tue, 01 Dec 2026 01:27:28 +0000\r\n"
	" ~> To: b@example.org\r\n"
	" ~> From: a@example.org\r\n"
	" ~> Subject: test Tue, 01 Dec 2026 01:27:28 +0000\r\n"
	" ~> Message-Id: <20261201012728.004958@vm>\r\n"
	" ~> X-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/\r\n"
	" ~> \r\n"
	" ~> This is a test mailing\r\n"
	" ~> \r\n"
	" ~> \r\n"
	" ~> .\n"
	"  > 0000: 44 61 74 65  3A 20 54 75  65 2C 20 30  31 20 44 65    Date:.Tue,.01.De\n"
	"  > 0016: 63 20 32 30  32 36 20 30  31 3A 32 37  3A 32 38 20    c.2026.01:27:28.\n"
	"  > 0032: 2B 30 30 30  30 0D 0A 54  6F 3A 20 62  40 65 78 61    +0000..To:.b@exa\n"
	"  > 0048: 6D 70 6C 65  2E 6F 72 67  0D 0A 46 72  6F 6D 3A 20    mple.org..From:.\n"
	"  > 0064: 61 40 65 78  61 6D 70 6C  65 2E 6F 72  67 0D 0A 53    a@example.org..S\n"
	"  > 0080: 75 62 6A 65  63 74 3A 20  74 65 73 74  20 54 75 65    ubject:.test.Tue\n"
	"  > 0096: 2C 20 30 31  20 44 65 63  20 32 30 32  36 20 30 31    ,.01.Dec.2026.01\n"
	"  > 0112: 3A 32 37 3A  32 38 20 2B  30 30 30 30  0D 0A 4D 65    :27:28.+0000..Me\n"
	"  > 0128: 73 73 61 67  65 2D 49 64  3A 20 3C 32  30 32 36 31    ssage-Id:.<20261\n"
	"  > 0144: 32 30 31 30  31 32 37 32  38 2E 30 30  34 39 35 38    201012728.004958\n"
	"  > 0160: 40 76 6D 3E  0D 0A 58 2D  4D 61 69 6C  65 72 3A 20    @vm>..X-Mailer:.\n"
	"  > 0176: 73 77 61 6B  73 20 76 32  30 32 30 31  30 31 34 2E    swaks.v20201014.\n"
	"  > 0192: 30 20 6A 65  74 6D 6F 72  65 2E 6F 72  67 2F 6A 6F    0.jetmore.org/jo\n"
	"  > 0208: 68 6E 2F 63  6F 64 65 2F  73 77 61 6B  73 2F 0D 0A    hn/code/swaks/..\n"
	"  > 0224: 0D 0A 54 68  69 73 20 69  73 20 61 20  74 65 73 74    ..This.is.a.test\n"
	"  > 0240: 20 6D 61 69  6C 69 6E 67  0D 0A 0D 0A  0D 0A 2E 0D    .mailing........\n"
	"  > 0256: 0A                                                    .               \n"
	"<   0000: 32 35 30 20  32 2E 30 2E  30 20 4F 6B  3A 20 71 75    250.2.0.0.Ok:.qu\n"
	"<   0016: 65 75 65 64  20 61 73 20  31 37 39 36  30 38 38 34    eued.as.17960884\n"
	"<   0032: 34 38 2E 4D  36 38 30 33  33 31 50 34  35 37 38 51    48.M680331P4578Q\n"
	"<   0048: 36 2E 76 6D  0D 0A                                    6.vm..          \n"
	"=== response in 0.001s\n"
	"<~  250 2.0.0 Ok: queued as 1796088448.M680331P4578Q6.vm\n"
	" ~> QUIT\n"
	"  > 0000: 51 55 49 54  0D 0A                                    QUIT..          \n"
	"<   0000: 32 32 31 20  32 2E 30 2E  30 20 42 79  65 0D 0A       221.2.0.0.Bye.. \n"
	"=== response in 0.000s\n"
	"<~  221 2.0.0 Bye\n"
	"=== Connection closed with remote host.\n";

/* --data with a bare LF and -ndf, --show-raw-text: the sandbox's 521. */
static const char swaks_bare[] =
	" -> DATA\n"
	"  > 0000: 44 41 54 41  0D 0A                                    DATA..          \n"
	"<   0000: 33 35 34 20  45 6E 64 20  64 61 74 61  20 77 69 74    354.End.data.wit\n"
	"<   0016: 68 20 3C 43  52 3E 3C 4C  46 3E 2E 3C  43 52 3E 3C    h.<CR><LF>.<CR><\n"
	"<   0032: 4C 46 3E 0D  0A                                       LF>..           \n"
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> Subject: x\r\n"
	" -> bare lf\n"
	" -> next\r\n"
	" -> .\n"
	"  > 0000: 53 75 62 6A  65 63 74 3A  20 78 0D 0A  62 61 72 65    Subject:.x..bare\n"
	"  > 0016: 20 6C 66 0A  6E 65 78 74  0D 0A 2E 0D  0A             .lf.next.....   \n"
	"<   0000: 35 32 31 20  35 2E 35 2E  32 20 45 72  72 6F 72 3A    521.5.5.2.Error:\n"
	"<   0016: 20 62 61 72  65 20 3C 4C  46 3E 20 72  65 63 65 69    .bare.<LF>.recei\n"
	"<   0032: 76 65 64 0D  0A                                       ved..           \n"
	"<** 521 5.5.2 Error: bare <LF> received\n"
	" -> QUIT\n"
	"  > 0000: 51 55 49 54  0D 0A                                    QUIT..          \n"
	"*** Remote host closed connection unexpectedly.\n";

/* tests/peers/hostile.py escape, --show-raw-text: a NUL from the server. */
static const char swaks_escape[] =
	"=== Trying 127.0.0.1:25255...\n"
	"=== Connected to 127.0.0.1.\n"
	"<   0000: 32 32 30 2D  1B 5B 32 4A  1B 5D 30 3B  70 77 6E 65    220-.[2J.]0;pwne\n"
	"<   0016: 64 07 20 68  65 6C 6C 6F  20 9B 33 31  6D 0D 0A 32    d..hello..31m..2\n"
	"<   0032: 32 30 2D 62  69 64 69 20  E2 80 AE 20  72 65 76 65    20-bidi.....reve\n"
	"<   0048: 72 73 65 64  20 C2 9B 20  63 31 0D 0A  32 32 30 20    rsed....c1..220.\n"
	"<   0064: 62 61 64 20  FF FE 20 75  74 66 38 20  00 20 6E 75    bad....utf8...nu\n"
	"<   0080: 6C 0D 0A                                              l..             \n"
	"<-  220-\x1b[2J\x1b]0;pwned\x07 hello \x9b""31m\n"
	"<-  220-bidi \xe2\x80\xae reversed \xc2\x9b c1\n"
	"<-  220 bad \xff\xfe utf8 \x00 nul\n"
	" -> EHLO client.example\n";

/* smtp-sink -w 1 with --pipeline --show-time-lapse. */
static const char swaks_lapse[] =
	"=== Trying 127.0.0.1:25256...\n"
	"=== Connected to 127.0.0.1.\n"
	"=== response in 0.000s\n"
	"<-  220 smtp-sink ESMTP\n"
	" -> EHLO client.example\n"
	"=== response in 0.000s\n"
	"<-  250-smtp-sink\n"
	"<-  250-PIPELINING\n"
	"<-  250-8BITMIME\n"
	"<-  250-AUTH PLAIN LOGIN\n"
	"<-  250-XCLIENT NAME HELO\n"
	"<-  250-XFORWARD NAME ADDR PROTO HELO\n"
	"<-  250-ENHANCEDSTATUSCODES\n"
	"<-  250-DSN\n"
	"<-  250 \n"
	" -> MAIL FROM:<a@example.org>\n"
	" -> RCPT TO:<b@example.org>\n"
	" -> DATA\n"
	"=== response in 1.003s\n"
	"<-  250 2.1.0 Ok\n"
	"=== response in 0.000s\n"
	"<-  250 2.1.5 Ok\n"
	"=== response in 0.000s\n"
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> Date: Tue, 01 Dec 2026 01:32:47 +0000\r\n"
	" -> To: b@example.org\r\n"
	" -> From: a@example.org\r\n"
	" -> Subject: test Tue, 01 Dec 2026 01:32:47 +0000\r\n"
	" -> Message-Id: <20261201013247.021520@vm>\r\n"
	" -> X-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/\r\n"
	" -> \r\n"
	" -> This is a test mailing\r\n"
	" -> \r\n"
	" -> \r\n"
	" -> .\n"
	"=== response in 0.000s\n"
	"<-  250 2.0.0 Ok\n"
	" -> QUIT\n"
	"=== response in 0.000s\n"
	"<-  221 Bye\n"
	"=== Connection closed with remote host.\n";

/* AUTH LOGIN with a wrong password against the sandbox. */
static const char swaks_auth_fail[] =
	" ~> AUTH LOGIN\n"
	"<~  334 VXNlcm5hbWU6\n"
	" ~> c2FuZGJveA==\n"
	"<~  334 UGFzc3dvcmQ6\n"
	" ~> d3Jvbmc=\n"
	"<~* 535 5.7.8 Authentication credentials invalid\n"
	"*** No authentication type succeeded\n"
	" ~> QUIT\n"
	"<~  221 2.0.0 Bye\n"
	"=== Connection closed with remote host.\n";

/* AUTH LOGIN with --auth-plaintext --show-raw-text. */
static const char swaks_auth_pt[] =
	" ~> AUTH LOGIN\n"
	"  > 0000: 41 55 54 48  20 4C 4F 47  49 4E 0D 0A                 AUTH.LOGIN..    \n"
	"<   0000: 33 33 34 20  56 58 4E 6C  63 6D 35 68  62 57 55 36    334.VXNlcm5hbWU6\n"
	"<   0016: 0D 0A                                                 ..              \n"
	"<~  334 Username:\n"
	" ~> sandbox\n"
	"  > 0000: 63 32 46 75  5A 47 4A 76  65 41 3D 3D  0D 0A          c2FuZGJveA==..  \n"
	"<   0000: 33 33 34 20  55 47 46 7A  63 33 64 76  63 6D 51 36    334.UGFzc3dvcmQ6\n"
	"<   0016: 0D 0A                                                 ..              \n"
	"<~  334 Password:\n"
	" ~> sandbox\n"
	"  > 0000: 63 32 46 75  5A 47 4A 76  65 41 3D 3D  0D 0A          c2FuZGJveA==..  \n"
	"<   0000: 32 33 35 20  32 2E 37 2E  30 20 41 75  74 68 65 6E    235.2.7.0.Authen\n"
	"<   0016: 74 69 63 61  74 69 6F 6E  20 73 75 63  63 65 73 73    tication.success\n"
	"<   0032: 66 75 6C 0D  0A                                       ful..           \n"
	"<~  235 2.7.0 Authentication successful\n"
	" ~> QUIT\n";

/* AUTH LOGIN with --auth-hide-password --show-raw-text. */
static const char swaks_auth_hide[] =
	" ~> AUTH LOGIN\n"
	"  > 0000: 41 55 54 48  20 4C 4F 47  49 4E 0D 0A                 AUTH.LOGIN..    \n"
	"<   0000: 33 33 34 20  56 58 4E 6C  63 6D 35 68  62 57 55 36    334.VXNlcm5hbWU6\n"
	"<   0016: 0D 0A                                                 ..              \n"
	"<~  334 VXNlcm5hbWU6\n"
	" ~> c2FuZGJveA==\n"
	"  > 0000: 63 32 46 75  5A 47 4A 76  65 41 3D 3D  0D 0A          c2FuZGJveA==..  \n"
	"<   0000: 33 33 34 20  55 47 46 7A  63 33 64 76  63 6D 51 36    334.UGFzc3dvcmQ6\n"
	"<   0016: 0D 0A                                                 ..              \n"
	"<~  334 UGFzc3dvcmQ6\n"
	" ~> UFJPVklERURfQlVUX1JFTU9WRUQ=\n"
	"  > 0000: 63 32 46 75  5A 47 4A 76  65 41 3D 3D  0D 0A          c2FuZGJveA==..  \n"
	"<   0000: 32 33 35 20  32 2E 37 2E  30 20 41 75  74 68 65 6E    235.2.7.0.Authen\n"
	"<   0016: 74 69 63 61  74 69 6F 6E  20 73 75 63  63 65 73 73    tication.success\n"
	"<   0032: 66 75 6C 0D  0A                                       ful..           \n"
	"<~  235 2.7.0 Authentication successful\n"
	" ~> QUIT\n";

/* A recipient the sandbox refuses (501). */
static const char swaks_501[] =
	"<-  250 2.1.0 Ok\n"
	" -> RCPT TO:<nobody>\n"
	"<** 501 5.1.3 Bad recipient address syntax\n"
	" -> QUIT\n"
	"<-  221 2.0.0 Bye\n"
	"=== Connection closed with remote host.\n";

/* --pipeline against smtp-sink. */
static const char swaks_pipe[] =
	" -> MAIL FROM:<a@example.org>\n"
	" -> RCPT TO:<b@example.org>\n"
	" -> RCPT TO:<c@example.org>\n"
	" -> DATA\n"
	"<-  250 2.1.0 Ok\n"
	"<-  250 2.1.5 Ok\n"
	"<-  250 2.1.5 Ok\n"
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> Date: Tue, 01 Dec 2026 01:26:56 +0000\r\n"
	" -> To: b@example.org,c@example.org\r\n"
	" -> From: a@example.org\r\n";

/* --suppress-data (-n) against smtp-sink. */
static const char swaks_suppress[] =
	" -> DATA\n"
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> 11 lines sent\n"
	"<-  250 2.0.0 Ok\n"
	" -> QUIT\n"
	"<-  221 Bye\n"
	"=== Connection closed with remote host.\n";

/* -n with --show-raw-text: the hex dump has the lines. */
static const char swaks_suppress_raw[] =
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> 11 lines sent\n"
	"  > 0000: 44 61 74 65  3A 20 54 75  65 2C 20 30  31 20 44 65    Date:.Tue,.01.De\n"
	"  > 0016: 63 20 32 30  32 36 20 30  31 3A 33 33  3A 31 35 20    c.2026.01:33:15.\n"
	"  > 0032: 2B 30 30 30  30 0D 0A 54  6F 3A 20 62  40 65 78 61    +0000..To:.b@exa\n"
	"  > 0048: 6D 70 6C 65  2E 6F 72 67  0D 0A 46 72  6F 6D 3A 20    mple.org..From:.\n"
	"  > 0064: 61 40 65 78  61 6D 70 6C  65 2E 6F 72  67 0D 0A 53    a@example.org..S\n"
	"  > 0080: 75 62 6A 65  63 74 3A 20  74 65 73 74  20 54 75 65    ubject:.test.Tue\n"
	"  > 0096: 2C 20 30 31  20 44 65 63  20 32 30 32  36 20 30 31    ,.01.Dec.2026.01\n"
	"  > 0112: 3A 33 33 3A  31 35 20 2B  30 30 30 30  0D 0A 4D 65    :33:15.+0000..Me\n"
	"  > 0128: 73 73 61 67  65 2D 49 64  3A 20 3C 32  30 32 36 31    ssage-Id:.<20261\n"
	"  > 0144: 32 30 31 30  31 33 33 31  35 2E 30 32  32 33 37 38    201013315.022378\n"
	"  > 0160: 40 76 6D 3E  0D 0A 58 2D  4D 61 69 6C  65 72 3A 20    @vm>..X-Mailer:.\n"
	"  > 0176: 73 77 61 6B  73 20 76 32  30 32 30 31  30 31 34 2E    swaks.v20201014.\n"
	"  > 0192: 30 20 6A 65  74 6D 6F 72  65 2E 6F 72  67 2F 6A 6F    0.jetmore.org/jo\n"
	"  > 0208: 68 6E 2F 63  6F 64 65 2F  73 77 61 6B  73 2F 0D 0A    hn/code/swaks/..\n"
	"  > 0224: 0D 0A 74 77  6F 20 6C 69  6E 65 73 0D  0A 0D 0A 0D    ..two.lines.....\n"
	"  > 0240: 0A 2E 0D 0A                                           ....            \n"
	"<   0000: 32 35 30 20  32 2E 30 2E  30 20 4F 6B  0D 0A          250.2.0.0.Ok..  \n"
	"<-  250 2.0.0 Ok\n"
	" -> QUIT\n"
	"  > 0000: 51 55 49 54  0D 0A                                    QUIT..          \n"
	"<   0000: 32 32 31 20  42 79 65 0D  0A                          221.Bye..       \n"
	"<-  221 Bye\n"
	"=== Connection closed with remote host.\n";

/* --data FILE without "@": a deprecation warning. */
static const char swaks_deprecation[] =
	"*** DEPRECATION WARNING: Inferring a filename from the argument to --data will be removed in the future.  Prefix filenames with '@' instead.\n"
	"=== Trying 127.0.0.1:25251...\n"
	"=== Connected to 127.0.0.1.\n";

/* RFC 5321, appendix D.1, as the RFC text has it (indented). */
static const char rfc5321_d1[] =
	"D.1.  A Typical SMTP Transaction Scenario\n"
	"\n"
	"   This SMTP example shows mail sent by Smith at host bar.com, and to\n"
	"   Jones, Green, and Brown at host foo.com.  Here we assume that host\n"
	"   bar.com contacts host foo.com directly.  The mail is accepted for\n"
	"   Jones and Brown.  Green does not have a mailbox at host foo.com.\n"
	"\n"
	"      S: 220 foo.com Simple Mail Transfer Service Ready\n"
	"      C: EHLO bar.com\n"
	"      S: 250-foo.com greets bar.com\n"
	"      S: 250-8BITMIME\n"
	"      S: 250-SIZE\n"
	"      S: 250-DSN\n"
	"      S: 250 HELP\n"
	"      C: MAIL FROM:<Smith@bar.com>\n"
	"      S: 250 OK\n"
	"      C: RCPT TO:<Jones@foo.com>\n"
	"      S: 250 OK\n"
	"      C: RCPT TO:<Green@foo.com>\n"
	"      S: 550 No such user here\n"
	"      C: RCPT TO:<Brown@foo.com>\n"
	"      S: 250 OK\n"
	"      C: DATA\n"
	"      S: 354 Start mail input; end with <CRLF>.<CRLF>\n"
	"      C: Blah blah blah...\n"
	"      C: ...etc. etc. etc.\n"
	"      C: .\n"
	"      S: 250 OK\n"
	"      C: QUIT\n"
	"      S: 221 foo.com Service closing transmission channel\n";

/* RFC 3207, section 5: STARTTLS. */
static const char rfc3207[] =
	"   S: <waits for connection on TCP port 25>\n"
	"   C: <opens connection>\n"
	"   S: 220 mail.imc.org SMTP service ready\n"
	"   C: EHLO mail.example.com\n"
	"   S: 250-mail.imc.org offers a warm hug of welcome\n"
	"   S: 250-8BITMIME\n"
	"   S: 250-STARTTLS\n"
	"   S: 250 DSN\n"
	"   C: STARTTLS\n"
	"   S: 220 Go ahead\n"
	"   C: <starts TLS negotiation>\n"
	"   C & S: <negotiate a TLS session>\n"
	"   C & S: <check result of negotiation>\n"
	"   C: EHLO mail.example.com\n"
	"   S: 250-mail.imc.org touches your hand gently for a moment\n"
	"   S: 250-8BITMIME\n"
	"   S: 250 DSN\n";

/* The same as swaks_bare without the hex dumps (a capture without -raw). */
static const char swaks_bare_shown[] =
	" -> DATA\n"
	"<-  354 End data with <CR><LF>.<CR><LF>\n"
	" -> Subject: x\r\n"
	" -> bare lf\n"
	" -> next\r\n"
	" -> .\n"
	"<** 521 5.5.2 Error: bare <LF> received\n"
	" -> QUIT\n"
	"*** Remote host closed connection unexpectedly.\n";

/* Import LEN bytes of TEXT: the transcript, or NULL with *ERR. */
static struct transcript *
load_len(const char *text, size_t len, struct import_result *res, char **err)
{
	struct transcript	*t = transcript_new();
	FILE			*fp;
	char			*copy;
	int			 rc;

	*err = NULL;
	/* fmemopen wants a buffer of at least one byte. */
	copy = malloc(len + 1);
	memcpy(copy, text, len);
	if ((fp = fmemopen(copy, len == 0 ? 1 : len, "r")) == NULL) {
		free(copy);
		transcript_free(t);
		return NULL;
	}
	if (len == 0)
		(void)fgetc(fp);	/* at the end at once */
	rc = import_stream(t, fp, "cap", res, err);
	fclose(fp);
	free(copy);
	if (rc == -1) {
		transcript_free(t);
		return NULL;
	}
	return t;
}

static struct transcript *
load(const char *text, struct import_result *res, char **err)
{
	return load_len(text, strlen(text), res, err);
}

/* The records as the native format writes them (no header). */
static char *
native(const struct transcript *t)
{
	FILE	*fp;
	char	*s = NULL;
	size_t	 len = 0, i;

	fp = open_memstream(&s, &len);
	for (i = 0; i < transcript_count(t); i++)
		transcript_write_record(fp, transcript_get(t, i));
	fclose(fp);
	return s;
}

/*
 * The records of T from FROM on, as native() has them, are WANT; or, with
 * PREFIX, begin with WANT.
 */
static void
expect_native(const struct transcript *t, size_t from, bool prefix,
    const char *want, int line)
{
	FILE	*fp;
	char	*s = NULL;
	size_t	 len = 0, i;

	fp = open_memstream(&s, &len);
	for (i = from; i < transcript_count(t); i++)
		transcript_write_record(fp, transcript_get(t, i));
	fclose(fp);
	if (prefix ? strncmp(s, want, strlen(want)) != 0 :
	    strcmp(s, want) != 0) {
		harness_fail(__FILE__, line, "records differ");
		fprintf(stderr, "--- got\n%s--- want\n%s---\n", s, want);
	}
	free(s);
}
#define EXPECT_NATIVE(t, from, want) \
	expect_native(t, from, false, want, __LINE__)
#define EXPECT_NATIVE_PREFIX(t, from, want) \
	expect_native(t, from, true, want, __LINE__)

static size_t
count_kind(const struct transcript *t, enum transcript_kind kind)
{
	size_t	i, n = 0;

	for (i = 0; i < transcript_count(t); i++)
		n += transcript_get(t, i)->kind == kind;
	return n;
}

/* The first record whose bytes begin with PREFIX. */
static const struct transcript_record *
find(const struct transcript *t, const char *prefix)
{
	const struct transcript_record	*r;
	size_t				 i;

	for (i = 0; i < transcript_count(t); i++) {
		r = transcript_get(t, i);
		if (r->len >= strlen(prefix) &&
		    memcmp(r->bytes, prefix, strlen(prefix)) == 0)
			return r;
	}
	return NULL;
}

static void
test_import_detect(void)
{
	static const char utf16[] = "=\0=\0=\0 \0T\0r\0y\0\n\0";

	EXPECT_INT(import_detect("# smtptool-transcript 1\n", 24),
	    TRANSCRIPT_FMT_NATIVE);
	EXPECT_INT(import_detect("# smtptool-transcript 1\r\n0.0", 28),
	    TRANSCRIPT_FMT_NATIVE);
	EXPECT_INT(import_detect(swaks_plain, strlen(swaks_plain)),
	    TRANSCRIPT_FMT_SWAKS);
	EXPECT_INT(import_detect(swaks_raw, strlen(swaks_raw)),
	    TRANSCRIPT_FMT_SWAKS);
	EXPECT_INT(import_detect(rfc5321_d1, strlen(rfc5321_d1)),
	    TRANSCRIPT_FMT_RFC);
	EXPECT_INT(import_detect(rfc3207, strlen(rfc3207)),
	    TRANSCRIPT_FMT_RFC);
	EXPECT_INT(import_detect("C:EHLO x\nS:250 ok\n", 18),
	    TRANSCRIPT_FMT_RFC);
	EXPECT_INT(import_detect("C: EHLO x\r\nS: 250 ok\r\n", 22),
	    TRANSCRIPT_FMT_RFC);
	/* Decoration does not outweigh a dialog. */
	EXPECT_INT(import_detect("=== title ===\n=== x\nC: EHLO x\n"
	    "S: 250 ok\n", 40), TRANSCRIPT_FMT_RFC);
	EXPECT_INT(import_detect("Hello,\nthis is prose.\n", 22),
	    TRANSCRIPT_FMT_UNKNOWN);
	EXPECT_INT(import_detect("", 0), TRANSCRIPT_FMT_UNKNOWN);
	EXPECT_INT(import_detect(utf16, sizeof(utf16) - 1),
	    TRANSCRIPT_FMT_UNKNOWN);
	/* A version this reader does not know goes to the strict reader. */
	EXPECT_INT(import_detect("# smtptool-transcript 2\n", 24),
	    TRANSCRIPT_FMT_NATIVE);
	EXPECT_INT(import_detect("# smtptool-transcripts\n", 23),
	    TRANSCRIPT_FMT_UNKNOWN);
	EXPECT_STR(import_format_name(TRANSCRIPT_FMT_SWAKS), "swaks");
	EXPECT_STR(import_format_name(TRANSCRIPT_FMT_RFC), "rfc");
	EXPECT_STR(import_format_name(TRANSCRIPT_FMT_NATIVE), "native");
	EXPECT_STR(import_format_name(TRANSCRIPT_FMT_LAST), "unknown");
}

/* Only the first 64 KiB count. */
static void
test_import_detect_window(void)
{
	size_t	 n = 70 * 1024, i;
	char	*p = malloc(n + 32);

	for (i = 0; i < n; i += 10)
		memcpy(p + i, "prose....\n", 10);
	memcpy(p + n, "C: EHLO x\nS: 250 ok\n", 21);
	EXPECT_INT(import_detect(p, n + 20), TRANSCRIPT_FMT_UNKNOWN);
	memcpy(p + 60 * 1024, "C: EHLO x\n", 10);
	EXPECT_INT(import_detect(p, n + 20), TRANSCRIPT_FMT_RFC);
	free(p);
}

static void
test_import_swaks_plain(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;

	ASSERT((t = load(swaks_plain, &res, &err)) != NULL);
	EXPECT_INT(res.format, TRANSCRIPT_FMT_SWAKS);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000 === Trying 127.0.0.1:25251...\n"
	    "0.000000 === Connected to 127.0.0.1.\n"
	    "0.000000 <-  220 smtp-sink ESMTP\n"
	    "0.000000  -> EHLO client.example\n"
	    "0.000000 <-  250-smtp-sink\n"
	    "0.000000 <-  250-PIPELINING\n"
	    "0.000000 <-  250-8BITMIME\n"
	    "0.000000 <-  250-AUTH PLAIN LOGIN\n"
	    "0.000000 <-  250-XCLIENT NAME HELO\n"
	    "0.000000 <-  250-XFORWARD NAME ADDR PROTO HELO\n"
	    "0.000000 <-  250-ENHANCEDSTATUSCODES\n"
	    "0.000000 <-  250-DSN\n"
	    "0.000000 <-  250 \n"
	    "0.000000  -> MAIL FROM:<a@example.org>\n"
	    "0.000000 <-  250 2.1.0 Ok\n"
	    "0.000000  -> RCPT TO:<b@example.org>\n"
	    "0.000000 <-  250 2.1.5 Ok\n"
	    "0.000000  -> DATA\n"
	    "0.000000 <-  354 End data with <CR><LF>.<CR><LF>\n"
	    "0.000000  -> Date: Tue, 01 Dec 2026 01:26:47 +0000\n"
	    "0.000000  -> To: b@example.org\n"
	    "0.000000  -> From: a@example.org\n"
	    "0.000000  -> Subject: test Tue, 01 Dec 2026 01:26:47 +0000\n"
	    "0.000000  -> Message-Id: <20261201012647.003991@vm>\n"
	    "0.000000  -> X-Mailer: swaks v20201014.0 "
	    "jetmore.org/john/code/swaks/\n"
	    "0.000000  -> \n"
	    "0.000000  -> This is a test mailing\n"
	    "0.000000  -> \n"
	    "0.000000  -> \n"
	    "0.000000  -> .\n"
	    "0.000000 <-  250 2.0.0 Ok\n"
	    "0.000000  -> QUIT\n"
	    "0.000000 <-  221 Bye\n"
	    "0.000000 === Connection closed with remote host.\n");
	/* Codes and last lines as the native reader sets them. */
	r = find(t, "250-PIPELINING");
	ASSERT(r != NULL);
	EXPECT_INT(r->code, 250);
	EXPECT(!r->last);
	r = find(t, "250 \0");
	ASSERT(r != NULL);
	EXPECT_INT(r->code, 250);
	EXPECT(r->last);
	EXPECT_INT(r->latency_us, -1);	/* no time-lapse lines */
	r = find(t, "221 Bye");
	ASSERT(r != NULL);
	EXPECT(r->last && r->code == 221 && r->flags == 0);
	EXPECT_INT(r->eol, TRANSCRIPT_EOL_CRLF);
	r = find(t, "Date:");
	ASSERT(r != NULL);
	EXPECT_INT(r->kind, TRANSCRIPT_CLIENT);
	EXPECT_INT(r->eol, TRANSCRIPT_EOL_CRLF);
	import_result_free(&res);
	transcript_free(t);
}

static void
test_import_swaks_tls(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;

	ASSERT((t = load(swaks_tls, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000 <-  250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\n"
	    "0.000000  -> STARTTLS\n"
	    "0.000000 <-  220 2.0.0 Ready to start TLS\n"
	    "0.000000 === TLS started with cipher "
	    "TLSv1.3:TLS_AES_256_GCM_SHA384:256\n"
	    "0.000000 === TLS no local certificate set\n"
	    "0.000000 === TLS peer DN=\"/O=smtptool sandbox (not for real "
	    "mail)/CN=sandbox.smtptool.test\"\n"
	    "0.000000  ~> EHLO client.example\n"
	    "0.000000 <~  250-sandbox.smtptool.test\n"
	    "0.000000 <~  250-PIPELINING\n"
	    "0.000000 <~  250-SIZE 10485760\n"
	    "0.000000 <~  250-8BITMIME\n"
	    "0.000000 <~  250-SMTPUTF8\n");
	r = find(t, "STARTTLS");
	ASSERT(r != NULL);
	EXPECT_INT(r->flags, 0);
	r = find(t, "EHLO");
	ASSERT(r != NULL);
	EXPECT_INT(r->flags, TRANSCRIPT_TLS);
	EXPECT_INT(r->kind, TRANSCRIPT_CLIENT);
	import_result_free(&res);
	transcript_free(t);
}

/*
 * --show-raw-text: the dumps are not records, the bytes come from them;
 * the time-lapse lines are not records, they are the times.
 */
static void
test_import_swaks_raw(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err, *s;

	ASSERT((t = load(swaks_raw, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	s = native(t);
	EXPECT(strstr(s, "0000:") == NULL);
	EXPECT(strstr(s, "response in") == NULL);
	free(s);
	EXPECT_INT(count_kind(t, TRANSCRIPT_CLIENT), 18);
	EXPECT_INT(count_kind(t, TRANSCRIPT_SERVER), 27);
	EXPECT_INT(count_kind(t, TRANSCRIPT_INFO), 6);
	/* The pipelined group, then its replies in order. */
	EXPECT_NATIVE(t, 30,
	    "0.000000  ~> MAIL FROM:<a@example.org>\n"
	    "0.000000  ~> RCPT TO:<b@example.org>\n"
	    "0.000000  ~> DATA\n"
	    "0.000000 <~  250 2.1.0 Ok\n"
	    "0.000000 <~  250 2.1.5 Ok\n"
	    "0.000000 <~  354 End data with <CR><LF>.<CR><LF>\n"
	    "0.000000  ~> Date: Tue, 01 Dec 2026 01:27:28 +0000\n"
	    "0.000000  ~> To: b@example.org\n"
	    "0.000000  ~> From: a@example.org\n"
	    "0.000000  ~> Subject: test Tue, 01 Dec 2026 01:27:28 +0000\n"
	    "0.000000  ~> Message-Id: <20261201012728.004958@vm>\n"
	    "0.000000  ~> X-Mailer: swaks v20201014.0 "
	    "jetmore.org/john/code/swaks/\n"
	    "0.000000  ~> \n"
	    "0.000000  ~> This is a test mailing\n"
	    "0.000000  ~> \n"
	    "0.000000  ~> \n"
	    "0.000000  ~> .\n"
	    "0.001000 <~  250 2.0.0 Ok: queued as "
	    "1796088448.M680331P4578Q6.vm\n"
	    "0.001000  ~> QUIT\n"
	    "0.001000 <~  221 2.0.0 Bye\n"
	    "0.001000 === Connection closed with remote host.\n");
	r = find(t, "250 2.0.0 Ok: queued");
	ASSERT(r != NULL);
	EXPECT_INT(r->latency_us, 1000);
	r = find(t, "250 2.1.5 Ok");
	ASSERT(r != NULL);
	EXPECT_INT(r->latency_us, -1);	/* pipelined: no command of its own */
	import_result_free(&res);
	transcript_free(t);
}

/* A bare LF sent, seen in the hex dump and in the missing CR. */
static void
test_import_swaks_bare_lf(void)
{
	static const char	*want =
	    "0.000000  -> DATA\n"
	    "0.000000 <-  354 End data with <CR><LF>.<CR><LF>\n"
	    "0.000000  -> Subject: x\n"
	    "0.000000  -> bare lf\\n\n"
	    "0.000000  -> next\n"
	    "0.000000  -> .\n"
	    "0.000000 <-  521 5.5.2 Error: bare <LF> received\n"
	    "0.000000  -> QUIT\n"
	    "0.000000 *** Remote host closed connection unexpectedly.\n";
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load(swaks_bare, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0, want);
	transcript_free(t);
	import_result_free(&res);
	ASSERT((t = load(swaks_bare_shown, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0, want);
	transcript_free(t);
	import_result_free(&res);
}

/* Lines copied from a terminal lose swaks's CRs: no bare LF then. */
static void
test_import_swaks_lost_cr(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load(" -> DATA\n"
	    "<-  354 go\n"
	    " -> Subject: x\n"
	    " -> \n"
	    " -> body\n"
	    " -> .\n"
	    "<-  250 ok\n", &res, &err)) != NULL);
	EXPECT_NATIVE(t, 2,
	    "0.000000  -> Subject: x\n"
	    "0.000000  -> \n"
	    "0.000000  -> body\n"
	    "0.000000  -> .\n"
	    "0.000000 <-  250 ok\n");
	transcript_free(t);
	import_result_free(&res);
}

/* A hostile banner: escapes, invalid UTF-8, a NUL, kept byte for byte. */
static void
test_import_swaks_escape(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;

	ASSERT((t = load_len(swaks_escape, sizeof(swaks_escape) - 1, &res,
	    &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_INT(transcript_count(t), 6);
	r = transcript_get(t, 4);
	EXPECT_MEM(r->bytes, r->len, "220 bad \xff\xfe utf8 \0 nul", 21);
	EXPECT(r->last && r->code == 220);
	r = transcript_get(t, 2);
	EXPECT_MEM(r->bytes, r->len, "220-\x1b[2J\x1b]0;pwned\x07 hello "
	    "\x9b" "31m", 29);
	EXPECT(!r->last);
	EXPECT_NATIVE(t, 2,
	    "0.000000 <-  220-\\x1b[2J\\x1b]0;pwned\\x07 hello \\x9b31m\n"
	    "0.000000 <-  220-bidi \\xe2\\x80\\xae reversed \\xc2\\x9b c1\n"
	    "0.000000 <-  220 bad \\xff\\xfe utf8 \\x00 nul\n"
	    "0.000000  -> EHLO client.example\n");
	transcript_free(t);
	import_result_free(&res);
}

/* The lapses add up; the latency is the lapse. */
static void
test_import_swaks_lapse(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;
	uint64_t			 prev = 0;
	size_t				 i;

	ASSERT((t = load(swaks_lapse, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_INT(count_kind(t, TRANSCRIPT_INFO), 3);
	for (i = 0; i < transcript_count(t); i++) {
		r = transcript_get(t, i);
		EXPECT(r->t_us >= prev);
		prev = r->t_us;
	}
	EXPECT_NATIVE_PREFIX(t, 13,
	    "0.000000  -> MAIL FROM:<a@example.org>\n"
	    "0.000000  -> RCPT TO:<b@example.org>\n"
	    "0.000000  -> DATA\n"
	    "1.003000 <-  250 2.1.0 Ok\n"
	    "1.003000 <-  250 2.1.5 Ok\n"
	    "1.003000 <-  354 End data with <CR><LF>.<CR><LF>\n"
	    "1.003000  -> Date: Tue, 01 Dec 2026 01:32:47 +0000\n");
	r = find(t, "250 2.1.0 Ok");
	ASSERT(r != NULL);
	EXPECT_INT(r->latency_us, 1003000);
	r = find(t, "221 Bye");
	ASSERT(r != NULL);
	EXPECT_INT(r->latency_us, 0);
	EXPECT_INT(r->t_us, 1003000);
	transcript_free(t);
	import_result_free(&res);

	/* "i": whole seconds. */
	ASSERT((t = load("=== response in 2s\n<-  220 hi\n -> QUIT\n"
	    "=== response in 1s\n<-  221 bye\n", &res, &err)) != NULL);
	EXPECT_NATIVE(t, 0,
	    "2.000000 <-  220 hi\n"
	    "2.000000  -> QUIT\n"
	    "3.000000 <-  221 bye\n");
	EXPECT_INT(transcript_get(t, 2)->latency_us, 1000000);
	transcript_free(t);
	import_result_free(&res);

	/* Not a lapse: an information line. */
	ASSERT((t = load("=== response in soon\n<-  220 hi\n", &res, &err)) !=
	    NULL);
	EXPECT_NATIVE(t, 0, "0.000000 === response in soon\n"
	    "0.000000 <-  220 hi\n");
	transcript_free(t);
	import_result_free(&res);
}

static void
test_import_swaks_auth(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;

	ASSERT((t = load(swaks_auth_fail, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000  ~> AUTH LOGIN\n"
	    "0.000000 <~  334 VXNlcm5hbWU6\n"
	    "0.000000  ~> c2FuZGJveA==\n"
	    "0.000000 <~  334 UGFzc3dvcmQ6\n"
	    "0.000000  ~> d3Jvbmc=\n"
	    "0.000000 <~  535 5.7.8 Authentication credentials invalid\n"
	    "0.000000 *** No authentication type succeeded\n"
	    "0.000000  ~> QUIT\n"
	    "0.000000 <~  221 2.0.0 Bye\n"
	    "0.000000 === Connection closed with remote host.\n");
	r = find(t, "535");
	ASSERT(r != NULL);
	EXPECT(r->code == 535 && r->last && r->flags == TRANSCRIPT_TLS);
	EXPECT_INT(count_kind(t, TRANSCRIPT_ERROR), 1);
	transcript_free(t);
	import_result_free(&res);

	/*
	 * --auth-hide-password with --show-raw-text: swaks hides the
	 * password in the line, not in the dump.  The line stays as shown
	 * (the secret is not taken from the dump) and the difference is an
	 * issue.
	 */
	ASSERT((t = load(swaks_auth_hide, &res, &err)) != NULL);
	ASSERT(res.nissues == 1);
	EXPECT_INT(res.issues[0].line, 11);
	EXPECT(strstr(res.issues[0].what, "hex dump") != NULL);
	EXPECT(find(t, "UFJPVklERURfQlVUX1JFTU9WRUQ=") != NULL);
	EXPECT_INT(count_kind(t, TRANSCRIPT_CLIENT), 4);
	EXPECT_INT(count_kind(t, TRANSCRIPT_SERVER), 3);
	transcript_free(t);
	import_result_free(&res);

	/* --auth-plaintext: decoded lines, and a note that says so. */
	ASSERT((t = load(swaks_auth_pt, &res, &err)) != NULL);
	EXPECT_NATIVE(t, 0,
	    "0.000000  ~> AUTH LOGIN\n"
	    "0.000000 === swaks showed AUTH decoded (--auth-plaintext): "
	    "these AUTH lines are not the bytes sent\n"
	    "0.000000 <~  334 Username:\n"
	    "0.000000  ~> sandbox\n"
	    "0.000000 <~  334 Password:\n"
	    "0.000000  ~> sandbox\n"
	    "0.000000 <~  235 2.7.0 Authentication successful\n"
	    "0.000000  ~> QUIT\n");
	ASSERT(res.nissues == 4);
	EXPECT_INT(res.issues[0].line, 5);	/* 334 Username: */
	EXPECT_INT(res.issues[1].line, 6);	/* sandbox */
	EXPECT_INT(res.issues[2].line, 10);
	EXPECT_INT(res.issues[3].line, 11);
	transcript_free(t);
	import_result_free(&res);

	/* AUTH PLAIN decoded. */
	ASSERT((t = load(" ~> AUTH PLAIN \\0sandbox\\0sandbox\n"
	    "<~  235 2.7.0 Authentication successful\n", &res, &err)) !=
	    NULL);
	EXPECT(find(t, "swaks showed AUTH decoded") != NULL);
	transcript_free(t);
	import_result_free(&res);
}

static void
test_import_swaks_5xx(void)
{
	struct import_result		 res;
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;

	ASSERT((t = load(swaks_501, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000 <-  250 2.1.0 Ok\n"
	    "0.000000  -> RCPT TO:<nobody>\n"
	    "0.000000 <-  501 5.1.3 Bad recipient address syntax\n"
	    "0.000000  -> QUIT\n"
	    "0.000000 <-  221 2.0.0 Bye\n"
	    "0.000000 === Connection closed with remote host.\n");
	r = transcript_get(t, 2);
	EXPECT(r->kind == TRANSCRIPT_SERVER && r->code == 501 && r->last);
	transcript_free(t);
	import_result_free(&res);
}

static void
test_import_swaks_pipeline(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load(swaks_pipe, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000  -> MAIL FROM:<a@example.org>\n"
	    "0.000000  -> RCPT TO:<b@example.org>\n"
	    "0.000000  -> RCPT TO:<c@example.org>\n"
	    "0.000000  -> DATA\n"
	    "0.000000 <-  250 2.1.0 Ok\n"
	    "0.000000 <-  250 2.1.5 Ok\n"
	    "0.000000 <-  250 2.1.5 Ok\n"
	    "0.000000 <-  354 End data with <CR><LF>.<CR><LF>\n"
	    "0.000000  -> Date: Tue, 01 Dec 2026 01:26:56 +0000\n"
	    "0.000000  -> To: b@example.org,c@example.org\n"
	    "0.000000  -> From: a@example.org\n");
	transcript_free(t);
	import_result_free(&res);
}

/* --suppress-data: a note; with the hex dump, the lines themselves. */
static void
test_import_swaks_suppress(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load(swaks_suppress, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000  -> DATA\n"
	    "0.000000 <-  354 End data with <CR><LF>.<CR><LF>\n"
	    "0.000000 === message text not shown: 11 lines sent "
	    "(swaks --suppress-data)\n"
	    "0.000000 <-  250 2.0.0 Ok\n"
	    "0.000000  -> QUIT\n"
	    "0.000000 <-  221 Bye\n"
	    "0.000000 === Connection closed with remote host.\n");
	transcript_free(t);
	import_result_free(&res);

	ASSERT((t = load(swaks_suppress_raw, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000 <-  354 End data with <CR><LF>.<CR><LF>\n"
	    "0.000000  -> Date: Tue, 01 Dec 2026 01:33:15 +0000\n"
	    "0.000000  -> To: b@example.org\n"
	    "0.000000  -> From: a@example.org\n"
	    "0.000000  -> Subject: test Tue, 01 Dec 2026 01:33:15 +0000\n"
	    "0.000000  -> Message-Id: <20261201013315.022378@vm>\n"
	    "0.000000  -> X-Mailer: swaks v20201014.0 "
	    "jetmore.org/john/code/swaks/\n"
	    "0.000000  -> \n"
	    "0.000000  -> two lines\n"
	    "0.000000  -> \n"
	    "0.000000  -> \n"
	    "0.000000  -> .\n"
	    "0.000000 <-  250 2.0.0 Ok\n"
	    "0.000000  -> QUIT\n"
	    "0.000000 <-  221 Bye\n"
	    "0.000000 === Connection closed with remote host.\n");
	transcript_free(t);
	import_result_free(&res);

	/* A message whose first line reads so is a message. */
	ASSERT((t = load("<-  354 go\n -> 2 lines sent\r\n -> .\n<-  250 ok\n",
	    &res, &err)) != NULL);
	EXPECT_NATIVE(t, 0,
	    "0.000000 <-  354 go\n"
	    "0.000000  -> 2 lines sent\n"
	    "0.000000  -> .\n"
	    "0.000000 <-  250 ok\n");
	transcript_free(t);
	import_result_free(&res);
}

static void
test_import_swaks_deprecation(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err, *s;

	ASSERT(asprintf(&s, "%s%s", swaks_deprecation, swaks_501) != -1);
	t = load(s, &res, &err);
	free(s);
	ASSERT(t != NULL);
	EXPECT_INT(transcript_get(t, 0)->kind, TRANSCRIPT_WARNING);
	EXPECT_INT(count_kind(t, TRANSCRIPT_ERROR), 0);
	transcript_free(t);
	import_result_free(&res);
}

/* Lines without a marker are issues, with their line numbers. */
static void
test_import_swaks_issues(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load("$ swaks --to b@example.org\n"
	    "=== Trying 127.0.0.1:25...\n"
	    "<-  220 hi\n"
	    "\n"
	    " -> EHLO x\n"
	    "<<< 250 odd\n"
	    "<-  250 ok\n"
	    "<   0000: 32 ZZ\n"
	    "<   0032: 32 35 30 0D  0A                                       "
	    "250..\n",
	    &res, &err)) != NULL);
	EXPECT_INT(res.format, TRANSCRIPT_FMT_SWAKS);
	ASSERT(res.nissues == 5);
	EXPECT_INT(res.issues[0].line, 1);
	EXPECT_STR(res.issues[0].what, "no swaks marker: \"$ sw\"");
	EXPECT_INT(res.issues[1].line, 4);
	EXPECT_STR(res.issues[1].what, "blank line");
	EXPECT_INT(res.issues[2].line, 6);
	EXPECT_STR(res.issues[2].what, "no swaks marker: \"<<< \"");
	EXPECT_INT(res.issues[3].line, 8);
	EXPECT(strstr(res.issues[3].what, "not a hex dump line") != NULL);
	EXPECT_INT(res.issues[4].line, 9);
	EXPECT_STR(res.issues[4].what, "hex dump at 32, 0 expected");
	EXPECT_NATIVE(t, 0,
	    "0.000000 === Trying 127.0.0.1:25...\n"
	    "0.000000 <-  220 hi\n"
	    "0.000000  -> EHLO x\n"
	    "0.000000 <-  250 ok\n");
	transcript_free(t);
	import_result_free(&res);
}

/* IMPORT_MAX_ISSUES are kept, the rest counted. */
static void
test_import_issue_cap(void)
{
	struct import_result	 res;
	struct transcript	*t;
	FILE			*fp;
	char			*s = NULL, *err;
	size_t			 len = 0, i;

	fp = open_memstream(&s, &len);
	fputs("<-  220 hi\n", fp);
	for (i = 0; i < 250; i++)
		fputs("junk\n", fp);
	fputs(" -> QUIT\n", fp);
	fclose(fp);
	ASSERT((t = load(s, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, IMPORT_MAX_ISSUES);
	EXPECT_INT(res.more_issues, 150);
	EXPECT_INT(res.issues[0].line, 2);
	EXPECT_INT(res.issues[99].line, 101);
	EXPECT_INT(transcript_count(t), 2);
	import_result_free(&res);
	EXPECT(res.issues == NULL && res.nissues == 0 && res.more_issues == 0);
	import_result_free(&res);	/* twice is fine */
	import_result_free(NULL);
	transcript_free(t);
	free(s);
}

/* CRLF files read as the LF ones (swaks's own CRs kept apart). */
static void
test_import_crlf(void)
{
	static const char *const caps[] = {
		swaks_plain, swaks_raw, swaks_bare, swaks_lapse,
		swaks_suppress_raw, rfc5321_d1, rfc3207,
	};
	struct import_result	 res;
	struct transcript	*a, *b;
	FILE			*fp;
	char			*crlf, *err, *na, *nb;
	const char		*p;
	size_t			 len, i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		crlf = NULL;
		len = 0;
		fp = open_memstream(&crlf, &len);
		for (p = caps[i]; *p != '\0'; p++) {
			if (*p == '\n')
				fputc('\r', fp);
			fputc(*p, fp);
		}
		fclose(fp);
		a = load(caps[i], &res, &err);
		import_result_free(&res);
		b = load(crlf, &res, &err);
		ASSERT(a != NULL && b != NULL);
		na = native(a);
		nb = native(b);
		EXPECT_STR(nb, na);
		free(na);
		free(nb);
		transcript_free(a);
		transcript_free(b);
		import_result_free(&res);
		free(crlf);
	}
}

static void
test_import_rfc(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load(rfc5321_d1, &res, &err)) != NULL);
	EXPECT_INT(res.format, TRANSCRIPT_FMT_RFC);
	EXPECT_NATIVE(t, 0,
	    "0.000000 <-  220 foo.com Simple Mail Transfer Service Ready\n"
	    "0.000000  -> EHLO bar.com\n"
	    "0.000000 <-  250-foo.com greets bar.com\n"
	    "0.000000 <-  250-8BITMIME\n"
	    "0.000000 <-  250-SIZE\n"
	    "0.000000 <-  250-DSN\n"
	    "0.000000 <-  250 HELP\n"
	    "0.000000  -> MAIL FROM:<Smith@bar.com>\n"
	    "0.000000 <-  250 OK\n"
	    "0.000000  -> RCPT TO:<Jones@foo.com>\n"
	    "0.000000 <-  250 OK\n"
	    "0.000000  -> RCPT TO:<Green@foo.com>\n"
	    "0.000000 <-  550 No such user here\n"
	    "0.000000  -> RCPT TO:<Brown@foo.com>\n"
	    "0.000000 <-  250 OK\n"
	    "0.000000  -> DATA\n"
	    "0.000000 <-  354 Start mail input; end with <CRLF>.<CRLF>\n"
	    "0.000000  -> Blah blah blah...\n"
	    "0.000000  -> ...etc. etc. etc.\n"
	    "0.000000  -> .\n"
	    "0.000000 <-  250 OK\n"
	    "0.000000  -> QUIT\n"
	    "0.000000 <-  221 foo.com Service closing transmission channel\n");
	EXPECT_INT(transcript_get(t, 12)->code, 550);
	EXPECT(transcript_get(t, 12)->last);
	EXPECT(!transcript_get(t, 2)->last);
	EXPECT_INT(transcript_get(t, 12)->latency_us, -1);
	/* The prose around it: issues, with their lines. */
	ASSERT(res.nissues == 7);
	EXPECT_INT(res.issues[0].line, 1);
	EXPECT_STR(res.issues[0].what, "no \"C:\" or \"S:\": \"D.1.  A Typical "
	    "SMTP Transaction Scenari...\"");
	EXPECT_INT(res.issues[1].line, 2);
	EXPECT_STR(res.issues[1].what, "blank line");
	EXPECT_INT(res.issues[6].line, 7);
	transcript_free(t);
	import_result_free(&res);

	/* Asides become notes; STARTTLS and its 220 make the rest TLS. */
	ASSERT((t = load(rfc3207, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_NATIVE(t, 0,
	    "0.000000 === S: <waits for connection on TCP port 25>\n"
	    "0.000000 === C: <opens connection>\n"
	    "0.000000 <-  220 mail.imc.org SMTP service ready\n"
	    "0.000000  -> EHLO mail.example.com\n"
	    "0.000000 <-  250-mail.imc.org offers a warm hug of welcome\n"
	    "0.000000 <-  250-8BITMIME\n"
	    "0.000000 <-  250-STARTTLS\n"
	    "0.000000 <-  250 DSN\n"
	    "0.000000  -> STARTTLS\n"
	    "0.000000 <-  220 Go ahead\n"
	    "0.000000 === C: <starts TLS negotiation>\n"
	    "0.000000 === C & S: <negotiate a TLS session>\n"
	    "0.000000 === C & S: <check result of negotiation>\n"
	    "0.000000  ~> EHLO mail.example.com\n"
	    "0.000000 <~  250-mail.imc.org touches your hand gently for a "
	    "moment\n"
	    "0.000000 <~  250-8BITMIME\n"
	    "0.000000 <~  250 DSN\n");
	transcript_free(t);
	import_result_free(&res);
}

/* Message text without prefixes after a "C:" line of it; no space. */
static void
test_import_rfc_continuation(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			*err;

	ASSERT((t = load("S:220 mx ready\n"
	    "C:DATA\n"
	    "S:354 go on\n"
	    "C: From: john@example.com\n"
	    "To: kennyl@example.com\n"
	    "\n"
	    "A body line.\n"
	    ".\n"
	    "Server responds with the message ID.\n"
	    "S: 250 OK id=1n59wq\n"
	    "C:\n"
	    "S: 500 what?\n", &res, &err)) != NULL);
	EXPECT_NATIVE(t, 0,
	    "0.000000 <-  220 mx ready\n"
	    "0.000000  -> DATA\n"
	    "0.000000 <-  354 go on\n"
	    "0.000000  -> From: john@example.com\n"
	    "0.000000  -> To: kennyl@example.com\n"
	    "0.000000  -> \n"
	    "0.000000  -> A body line.\n"
	    "0.000000  -> .\n"
	    "0.000000 <-  250 OK id=1n59wq\n"
	    "0.000000  -> \n"
	    "0.000000 <-  500 what?\n");
	ASSERT(res.nissues == 1);
	EXPECT_INT(res.issues[0].line, 9);
	transcript_free(t);
	import_result_free(&res);

	/* Before any text line, prose after a 354 is not text. */
	ASSERT((t = load("C: DATA\nS: 354 go\n   ... the message ...\n"
	    "C: .\nS: 250 ok\n", &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 1);
	EXPECT_INT(res.issues[0].line, 3);
	EXPECT_INT(transcript_count(t), 4);
	transcript_free(t);
	import_result_free(&res);
}

static void
test_import_refuse(void)
{
	static const char	 nul[] = "<-  220 hi\n -> EHLO x\nabc\0def\n";
	static const char	 utf16[] = "\xff\xfe=\0=\0=\0 \0T\0r\0y\0\n\0";
	struct import_result	 res;
	struct transcript	*t;
	char			*err, bin[4096];
	size_t			 i;
	uint32_t		 x = 12345;

	t = load_len("", 0, &res, &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read capture cap: empty file");
	free(err);

	t = load_len(nul, sizeof(nul) - 1, &res, &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read capture cap: not a text file (a NUL "
	    "byte on line 3)");
	free(err);

	t = load_len(utf16, sizeof(utf16) - 1, &res, &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read capture cap: not a text file (a NUL "
	    "byte on line 1)");
	free(err);

	/* Mostly control bytes, no NUL, marked lines here and there. */
	for (i = 0; i < sizeof(bin); i++) {
		x = x * 1103515245 + 12345;
		bin[i] = (char)((x >> 16) % 31 + 1);
	}
	memcpy(bin, "<-  220 hi\n", 11);
	t = load_len(bin, sizeof(bin), &res, &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read capture cap: not a text file (mostly "
	    "control bytes and invalid UTF-8)");
	free(err);

	t = load("Dear all,\nthe server said no.\n", &res, &err);
	EXPECT(t == NULL);
	EXPECT(strstr(err, "cannot read capture cap: neither swaks") == err);
	free(err);

	/* Markers, but nothing sent or received. */
	t = load("=== Trying 127.0.0.1:25259...\n"
	    "*** Error connecting to 127.0.0.1:25259:\n"
	    "*** \tIO::Socket::INET6: connect: Connection refused\n", &res,
	    &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read capture cap: no SMTP dialog in it (3 "
	    "lines, none a line sent or received)");
	EXPECT_INT(res.format, TRANSCRIPT_FMT_SWAKS);
	EXPECT(res.issues == NULL && res.nissues == 0);
	free(err);
}

/* A line over IMPORT_MAX_LINE: refused, with its number. */
static void
test_import_long_line(void)
{
	static const char	 head[] = "<-  220 hi\n -> EHLO x\n";
	struct import_result	 res;
	struct transcript	*t;
	size_t			 h = strlen(head), n;
	char			*p, *err;

	/* Line 3 of exactly IMPORT_MAX_LINE bytes: fine. */
	n = h + IMPORT_MAX_LINE + 1;
	p = malloc(n + 1);
	memcpy(p, head, h);
	memcpy(p + h, "<-  250 ", 8);
	memset(p + h + 8, 'x', IMPORT_MAX_LINE - 8);
	p[n - 1] = '\n';
	t = load_len(p, n, &res, &err);
	ASSERT(t != NULL);
	EXPECT_INT(transcript_get(t, 2)->len, IMPORT_MAX_LINE - 4);
	transcript_free(t);
	import_result_free(&res);
	/* One byte more: refused. */
	p[n - 1] = 'x';
	p[n] = '\n';
	t = load_len(p, n + 1, &res, &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read capture cap: line 3: longer than "
	    "1048576 bytes");
	free(err);
	free(p);
}

/* The native format goes to transcript_read(), beyond the first 64 KiB. */
static void
test_import_native(void)
{
	struct import_result	 res;
	struct transcript	*t;
	FILE			*fp;
	char			*s = NULL, *err;
	size_t			 len = 0, i;

	fp = open_memstream(&s, &len);
	fputs("# smtptool-transcript 1\n", fp);
	fputs("0.000000 <-  220 hi\n", fp);
	for (i = 0; i < 5000; i++)
		fprintf(fp, "0.%06zu  -> NOOP %zu\n0.%06zu <-  250 ok\n", i,
		    i, i);
	fclose(fp);
	ASSERT(len > 128 * 1024);
	ASSERT((t = load(s, &res, &err)) != NULL);
	EXPECT_INT(res.format, TRANSCRIPT_FMT_NATIVE);
	EXPECT_INT(res.nissues, 0);
	EXPECT_INT(transcript_count(t), 10001);
	EXPECT_INT(transcript_get(t, 10000)->t_us, 4999);
	transcript_free(t);
	import_result_free(&res);
	free(s);

	/* Its strict errors stand. */
	t = load("# smtptool-transcript 1\n0.000000 <<< what\n", &res, &err);
	EXPECT(t == NULL);
	EXPECT_STR(err, "cannot read transcript cap: line 2: unknown marker "
	    "\"<<<\"");
	EXPECT_INT(res.format, TRANSCRIPT_FMT_NATIVE);
	free(err);
}

/* A swaks capture longer than the first 64 KiB, lines across the edge. */
static void
test_import_large_swaks(void)
{
	struct import_result	 res;
	struct transcript	*t;
	FILE			*fp;
	char			*s = NULL, *err;
	size_t			 len = 0, i;

	fp = open_memstream(&s, &len);
	fputs("<-  354 go\n", fp);
	for (i = 0; i < 20000; i++)
		fprintf(fp, " -> line %zu of the message\r\n", i);
	fputs(" -> .\n<-  250 ok\n", fp);
	fclose(fp);
	ASSERT((t = load(s, &res, &err)) != NULL);
	EXPECT_INT(res.nissues, 0);
	EXPECT_INT(transcript_count(t), 20003);
	EXPECT_MEM(transcript_get(t, 12345)->bytes,
	    transcript_get(t, 12345)->len, "line 12344 of the message", 25);
	EXPECT_INT(transcript_get(t, 12345)->eol, TRANSCRIPT_EOL_CRLF);
	transcript_free(t);
	import_result_free(&res);
	free(s);

	/* A bare LF far into the text (lines are not held that long). */
	s = NULL;
	fp = open_memstream(&s, &len);
	fputs("<-  354 go\n", fp);
	for (i = 0; i < 3000; i++)
		fprintf(fp, " -> line %zu%s\n", i, i == 2500 ? "" : "\r");
	fputs(" -> .\n<-  250 ok\n", fp);
	fclose(fp);
	ASSERT((t = load(s, &res, &err)) != NULL);
	EXPECT_INT(transcript_count(t), 3003);
	EXPECT_MEM(transcript_get(t, 2501)->bytes, transcript_get(t, 2501)->len,
	    "line 2500", 9);
	EXPECT_INT(transcript_get(t, 2501)->eol, TRANSCRIPT_EOL_LF);
	EXPECT_INT(transcript_get(t, 2500)->eol, TRANSCRIPT_EOL_CRLF);
	EXPECT_INT(transcript_get(t, 3001)->eol, TRANSCRIPT_EOL_CRLF);
	transcript_free(t);
	import_result_free(&res);
	free(s);

	/* Copied from a terminal: no CR anywhere, so no bare LF either. */
	s = NULL;
	fp = open_memstream(&s, &len);
	fputs("<-  354 go\n", fp);
	for (i = 0; i < 3000; i++)
		fprintf(fp, " -> line %zu\n", i);
	fputs(" -> .\n<-  250 ok\n", fp);
	fclose(fp);
	ASSERT((t = load(s, &res, &err)) != NULL);
	for (i = 0; i < transcript_count(t); i++)
		EXPECT_INT(transcript_get(t, i)->eol, TRANSCRIPT_EOL_CRLF);
	transcript_free(t);
	import_result_free(&res);
	free(s);
}

/* From a file; what a path can do wrong. */
static void
test_import_capture(void)
{
	struct import_result	 res;
	struct transcript	*t;
	char			 path[] = "/tmp/smtptool-import-XXXXXX", *err;
	int			 fd;

	ASSERT((fd = mkstemp(path)) != -1);
	ASSERT(write(fd, swaks_plain, strlen(swaks_plain)) ==
	    (ssize_t)strlen(swaks_plain));
	close(fd);
	t = transcript_new();
	err = NULL;
	EXPECT_INT(import_capture(t, path, &res, &err), 0);
	EXPECT_INT(res.format, TRANSCRIPT_FMT_SWAKS);
	EXPECT_INT(transcript_count(t), 34);
	import_result_free(&res);
	/* RES may be NULL. */
	EXPECT_INT(import_capture(t, path, NULL, &err), 0);
	EXPECT_INT(transcript_count(t), 68);
	transcript_free(t);
	unlink(path);

	t = transcript_new();
	EXPECT_INT(import_capture(t, path, &res, &err), -1);
	EXPECT(strncmp(err, "cannot open capture /tmp/smtptool-import-", 41) ==
	    0 && strstr(err, strerror(ENOENT)) != NULL);
	free(err);
	EXPECT_INT(import_capture(t, "/tmp", &res, &err), -1);
	EXPECT_STR(err, "cannot read capture /tmp: Is a directory");
	free(err);
	EXPECT_INT(transcript_count(t), 0);
	transcript_free(t);
}

TEST_LIST(import_tests) = {
	TEST(test_import_detect),
	TEST(test_import_detect_window),
	TEST(test_import_swaks_plain),
	TEST(test_import_swaks_tls),
	TEST(test_import_swaks_raw),
	TEST(test_import_swaks_bare_lf),
	TEST(test_import_swaks_lost_cr),
	TEST(test_import_swaks_escape),
	TEST(test_import_swaks_lapse),
	TEST(test_import_swaks_auth),
	TEST(test_import_swaks_5xx),
	TEST(test_import_swaks_pipeline),
	TEST(test_import_swaks_suppress),
	TEST(test_import_swaks_deprecation),
	TEST(test_import_swaks_issues),
	TEST(test_import_issue_cap),
	TEST(test_import_crlf),
	TEST(test_import_rfc),
	TEST(test_import_rfc_continuation),
	TEST(test_import_refuse),
	TEST(test_import_long_line),
	TEST(test_import_native),
	TEST(test_import_large_swaks),
	TEST(test_import_capture),
	TEST_END
};
