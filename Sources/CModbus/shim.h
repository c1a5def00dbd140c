#include <errno.h>
#include <poll.h>
#include <modbus/modbus.h>
