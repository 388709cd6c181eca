/* Calibration only: the cheapest possible keep-alive HTTP server (one thread, epoll, a fixed
 * 200 response of the same size as a status poll). It shows what one core of this machine can
 * do through the kernel's TCP stack, so cleanlist-sim's figure can be read as a ratio.
 * cc -O2 -o ceiling_server ceiling_server.c && ./ceiling_server PORT BODY_BYTES */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 18080, body = argc > 2 ? atoi(argv[2]) : 450;
  static char resp[8192], buf[65536];
  int hl = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", body);
  memset(resp + hl, 'x', (size_t)body);
  int rl = hl + body;
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons((unsigned short)port); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr*)&a, sizeof a) || listen(ls, 1024)) { perror("bind/listen"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("listening on %d\n", port); fflush(stdout);
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c = accept(ls, 0, 0);
        if (c < 0) continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c, F_SETFL, O_NONBLOCK);
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) { close(fd); continue; }
      int reqs = 0;
      for (ssize_t k = 3; k < r; ++k) if (buf[k-3] == '\r' && buf[k-2] == '\n' && buf[k-1] == '\r' && buf[k] == '\n') ++reqs;
      for (int k = 0; k < reqs; ++k) if (write(fd, resp, (size_t)rl) < 0) break;
    }
  }
}
