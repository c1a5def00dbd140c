#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
