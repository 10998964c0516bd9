package io.github.usbd4j.sim;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A test model that records where each packet ran: iso OUT 0x01 and iso IN 0x81 (interface 0 alt 1),
 * interrupt IN 0x83 (interface 1). An IN packet is {@code [frame low byte, microframe, 0xA5...]}. Tests that
 * need other handlers or failures extend it and keep its descriptors.
 */
class ProbeDevice extends DeviceModel {
    /** (frame, microframe, length) of each packet the device saw. */
    record Seen(long frame, int microframe, int length) {}

    final List<Seen> outs = new ArrayList<>();
    final List<Seen> ins = new ArrayList<>();
    final List<String> changes = new ArrayList<>();
    private final UsbSpeed speed;
    private final int isoMaxPacket;
    private final int isoInterval;
    private final int interruptInterval;
    /** Bytes an IN packet claims to send; -1: as many as asked. */
    int inClaim = -1;

    ProbeDevice(UsbSpeed speed, int isoMaxPacket, int isoInterval, int interruptInterval) {
        this.speed = speed;
        this.isoMaxPacket = isoMaxPacket;
        this.isoInterval = isoInterval;
        this.interruptInterval = interruptInterval;
    }

    @Override
    public UsbSpeed speed() {
        return speed;
    }

    @Override
    public UsbDeviceDescriptor deviceDescriptor() {
        return new UsbDeviceDescriptor(18, 1, 0x0200, 0, 0, 0, 64, 0x1209, 0x000F, 1, 0, 0, 0, 1);
    }

    @Override
    public List<byte[]> configurationDescriptors() {
        return List.of(ConfigurationBuilder.configuration(1, 0x80, 50)
                .iface(0, 0, 0xFF, 0, 0)
                .iface(0, 1, 0xFF, 0, 0)
                .endpoint(0x01, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS, isoMaxPacket, isoInterval)
                .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS, isoMaxPacket, isoInterval)
                .iface(1, 0, 0xFF, 0, 0)
                .endpoint(0x83, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, 8, interruptInterval)
                .build());
    }

    @Override
    public EndpointHandler endpoint(int address) {
        return new EndpointHandler() {
            @Override
            public void out(long frame, int microframe, ByteBuffer data) {
                outs.add(new Seen(frame, microframe, data.remaining()));
            }

            @Override
            public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                ins.add(new Seen(frame, microframe, maxLength));
                for (int i = 0; i < maxLength; i++) {
                    dest.put(i == 0 ? (byte) frame : i == 1 ? (byte) microframe : (byte) 0xA5);
                }
                return inClaim < 0 ? maxLength : inClaim;
            }
        };
    }

    @Override
    public void configurationChanged(int configurationValue) {
        changes.add("config " + configurationValue);
    }

    @Override
    public void alternateSettingChanged(int interfaceNumber, int alternateSetting) {
        changes.add("interface " + interfaceNumber + " alt " + alternateSetting);
    }
}
