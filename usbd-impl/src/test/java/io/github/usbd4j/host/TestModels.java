package io.github.usbd4j.host;

import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Small device models of the tests' own. */
final class TestModels {
    private TestModels() {}

    /**
     * A HID-like full-speed device, 0x1209:0x0010: interface 0 class 3 with interrupt IN 0x81 (8 bytes,
     * bInterval 10). Each poll answers an 8-byte report whose first byte counts reports, from the frame
     * {@code readyFrame} on; before that it NAKs. Every poll's frame is recorded.
     */
    static final class HidLike extends DeviceModel {
        static final int PID = 0x0010;
        static final int INTERVAL = 10;
        final List<Long> polls = new CopyOnWriteArrayList<>();
        volatile long readyFrame;
        private int reports;

        private final EndpointHandler in = new EndpointHandler() {
            @Override
            public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                polls.add(frame);
                if (frame < readyFrame) {
                    return NAK;
                }
                int n = ++reports;
                for (int i = 0; i < 8; i++) {
                    dest.put((byte) (i == 0 ? n : 0xA0 + i));
                }
                return 8;
            }
        };

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return new UsbDeviceDescriptor(18, 1, 0x0110, 0, 0, 0, 64, 0x1209, PID, 0x0100, 0, 0, 0, 1);
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return List.of(ConfigurationBuilder.configuration(1, 0x80, 50)
                    .iface(0, 0, 0x03, 0, 0)
                    .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, 8, INTERVAL)
                    .build());
        }

        @Override
        public EndpointHandler endpoint(int address) {
            return address == 0x81 ? in : null;
        }
    }

    /**
     * A full-speed device, 0x1209:0x0011, whose interface 0 alternate setting 1 has two isochronous
     * endpoints of 1023 bytes each (0x01 OUT, 0x81 IN): each alone fits the 90 % full-speed periodic budget
     * (1350 bytes), both together do not.
     */
    static final class BigIso extends DeviceModel {
        static final int PID = 0x0011;

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return new UsbDeviceDescriptor(18, 1, 0x0110, 0xFF, 0, 0, 64, 0x1209, PID, 0x0100, 0, 0, 0, 1);
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return List.of(ConfigurationBuilder.configuration(1, 0x80, 50)
                    .iface(0, 0, 0xFF, 0, 0)
                    .iface(0, 1, 0xFF, 0, 0)
                    .endpoint(0x01, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS, 1023, 1)
                    .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS, 1023, 1)
                    .build());
        }

        @Override
        public EndpointHandler endpoint(int address) {
            return new EndpointHandler() {
                @Override
                public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                    return 0;
                }
            };
        }
    }

    /**
     * A device, 0x1209:0x0012, that serves the configuration descriptor it is given, at the speed it is
     * given: every IN endpoint answers a zero-length packet, every OUT endpoint takes what it gets.
     */
    static final class Raw extends DeviceModel {
        static final int PID = 0x0012;
        private final UsbSpeed speed;
        private final byte[] configuration;

        Raw(UsbSpeed speed, byte[] configuration) {
            this.speed = speed;
            this.configuration = configuration.clone();
        }

        @Override
        public UsbSpeed speed() {
            return speed;
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return new UsbDeviceDescriptor(18, 1, 0x0200, 0xFF, 0, 0, 64, 0x1209, PID, 0x0100, 0, 0, 0, 1);
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return List.of(configuration.clone());
        }

        @Override
        public EndpointHandler endpoint(int address) {
            return new EndpointHandler() {
                @Override
                public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                    return 0;
                }
            };
        }
    }
}
