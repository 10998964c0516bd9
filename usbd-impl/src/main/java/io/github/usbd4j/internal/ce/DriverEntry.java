package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;

/** A registered client driver: its unique ID, its {@code LoadClients} settings, and the driver. */
record DriverEntry(String id, UsbDriverSettings settings, UsbClientDriver driver) {}
