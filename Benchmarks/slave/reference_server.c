/* Reference for the slave benchmark: a minimal libmodbus TCP server (select loop, one mapping)
 * listening on NPORTS consecutive ports. Usage: reference_server PORT_BASE NPORTS */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include <modbus/modbus.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s PORT_BASE NPORTS\n", argv[0]); return 2; }
    int base = atoi(argv[1]), count = atoi(argv[2]);
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", base);
    modbus_mapping_t *map = modbus_mapping_new_start_address(0, 0, 0, 0, 0, 7000, 0, 2000);
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    int listeners[256];
    fd_set all; FD_ZERO(&all);
    int maxfd = 0;
    for (int i = 0; i < count; i++) {
        modbus_t *l = modbus_new_tcp("127.0.0.1", base + i);
        listeners[i] = modbus_tcp_listen(l, 16);
        if (listeners[i] < 0) { perror("listen"); return 1; }
        FD_SET(listeners[i], &all);
        if (listeners[i] > maxfd) maxfd = listeners[i];
    }
    printf("ready\n"); fflush(stdout);
    for (;;) {
        fd_set ready = all;
        if (select(maxfd + 1, &ready, NULL, NULL, NULL) < 0) { if (errno == EINTR) continue; return 1; }
        for (int fd = 0; fd <= maxfd; fd++) {
            if (!FD_ISSET(fd, &ready)) continue;
            int listening = 0;
            for (int i = 0; i < count; i++) if (listeners[i] == fd) listening = 1;
            if (listening) {
                int client = accept(fd, NULL, NULL);
                if (client >= 0) { FD_SET(client, &all); if (client > maxfd) maxfd = client; }
                continue;
            }
            modbus_set_socket(ctx, fd);
            int rc = modbus_receive(ctx, query);
            if (rc > 0) modbus_reply(ctx, query, rc, map);
            else if (rc == -1) { close(fd); FD_CLR(fd, &all); }
        }
    }
}
