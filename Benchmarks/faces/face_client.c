/* The same load client for both servers: THREADS libmodbus connections to one port; thread 0 is
 * the energy manager (reads the Bender EMS block 200..227 and writes the HEMS current limit 1000
 * every tenth request, 10 and 11 A in turn), the others are readers of the same block. Prints
 * requests/s over all threads and latency percentiles over all requests.
 * Usage: face_client PORT THREADS REQUESTS_PER_THREAD UNIT */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <modbus/modbus.h>

static int port, threads, per_thread, unit;
static double *latency;
static int errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *run(void *arg) {
    int index = (int)(long)arg, failed = 0;
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_set_slave(ctx, unit);
    if (modbus_connect(ctx) == -1) { fprintf(stderr, "connect: %s\n", modbus_strerror(errno)); exit(1); }
    uint16_t registers[28];
    for (int r = 0; r < per_thread; r++) {
        double t = now();
        int ok;
        if (index == 0 && r % 10 == 9) ok = modbus_write_register(ctx, 1000, (r / 10) % 2 ? 10 : 11) == 1;
        else ok = modbus_read_registers(ctx, 200, 28, registers) == 28;
        if (!ok) failed++;
        latency[index * per_thread + r] = (now() - t) * 1e6;
    }
    modbus_close(ctx);
    modbus_free(ctx);
    pthread_mutex_lock(&lock); errors += failed; pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s PORT THREADS REQUESTS_PER_THREAD UNIT\n", argv[0]); return 2; }
    port = atoi(argv[1]); threads = atoi(argv[2]); per_thread = atoi(argv[3]); unit = atoi(argv[4]);
    latency = calloc((size_t)threads * per_thread, sizeof *latency);
    pthread_t *ids = calloc(threads, sizeof *ids);
    double start = now();
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, run, (void *)(long)i);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    double elapsed = now() - start;
    int total = threads * per_thread;
    qsort(latency, total, sizeof *latency, compare);
    printf("%.0f %.1f %.1f %d\n", total / elapsed, latency[total / 2], latency[(int)(total * 0.99)], errors);
    return errors ? 1 : 0;
}
