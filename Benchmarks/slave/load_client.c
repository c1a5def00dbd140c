/* The same load client for both servers: one libmodbus connection per port, sequential reads of
 * 10 input registers (1008..1017) round-robin over the connections; prints requests/s and
 * latency percentiles. Usage: load_client PORT_BASE NPORTS REQUESTS UNIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <modbus/modbus.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s PORT_BASE NPORTS REQUESTS UNIT\n", argv[0]); return 2; }
    int base = atoi(argv[1]), count = atoi(argv[2]), requests = atoi(argv[3]), unit = atoi(argv[4]);
    modbus_t **ctx = calloc(count, sizeof *ctx);
    for (int i = 0; i < count; i++) {
        ctx[i] = modbus_new_tcp("127.0.0.1", base + i);
        modbus_set_slave(ctx[i], unit);
        if (modbus_connect(ctx[i]) == -1) { fprintf(stderr, "connect %d: %s\n", base + i, modbus_strerror(errno)); return 1; }
    }
    double *latency = calloc(requests, sizeof *latency);
    uint16_t registers[10];
    int errors = 0;
    double start = now();
    for (int r = 0; r < requests; r++) {
        double t = now();
        if (modbus_read_input_registers(ctx[r % count], 1008, 10, registers) != 10) errors++;
        latency[r] = (now() - t) * 1e6;
    }
    double elapsed = now() - start;
    qsort(latency, requests, sizeof *latency, compare);
    printf("%.0f %.1f %.1f %d\n", requests / elapsed, latency[requests / 2], latency[(int)(requests * 0.99)], errors);
    return errors ? 1 : 0;
}
