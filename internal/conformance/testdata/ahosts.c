/* ahosts NAME: resolves NAME with the C library's getaddrinfo, as getent
 * ahosts does, and prints each address once. Exit 0 when found, 2 when not.
 * Built with musl-gcc, it shows what an application on musl (Alpine) sees. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

int main(int argc, char **argv) {
	struct addrinfo hints, *res, *ai;
	char buf[INET6_ADDRSTRLEN];
	if (argc != 2) return 64;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int err = getaddrinfo(argv[1], NULL, &hints, &res);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], gai_strerror(err));
		return 2;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		void *a = ai->ai_family == AF_INET
			? (void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		if (inet_ntop(ai->ai_family, a, buf, sizeof buf)) printf("%s\n", buf);
	}
	freeaddrinfo(res);
	return 0;
}
