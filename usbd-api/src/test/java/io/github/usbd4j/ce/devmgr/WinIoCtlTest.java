package io.github.usbd4j.ce.devmgr;

import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_ANY_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_READ_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_WRITE_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.METHOD_BUFFERED;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.METHOD_NEITHER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** CTL_CODE as winioctl.h defines it, its fields read back, and REGINI's type checks. */
class WinIoCtlTest {

    @Test
    void ctlCode_matchesKnownWindowsCodes() {
        // IOCTL_STORAGE_EJECT_MEDIA = CTL_CODE(0x2d, 0x0202, METHOD_BUFFERED, FILE_READ_ACCESS)
        assertThat(WinIoCtl.ctlCode(0x2D, 0x202, METHOD_BUFFERED, FILE_READ_ACCESS))
                .isEqualTo(0x002D4808);
        // IOCTL_DISK_GET_DRIVE_GEOMETRY = CTL_CODE(FILE_DEVICE_DISK 7, 0, METHOD_BUFFERED, FILE_ANY_ACCESS)
        assertThat(WinIoCtl.ctlCode(7, 0, METHOD_BUFFERED, FILE_ANY_ACCESS)).isEqualTo(0x00070000);
    }

    @Test
    void fields_readBack() {
        int code = WinIoCtl.ctlCode(0xFFFF, 0xFFF, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS);
        assertThat(code).isEqualTo(0xFFFFFFFF);
        int vendor = WinIoCtl.ctlCode(WinIoCtl.FIRST_VENDOR_DEVICE_TYPE, 0x801, 2, FILE_WRITE_ACCESS);
        assertThat(WinIoCtl.deviceTypeFromCtlCode(vendor)).isEqualTo(0x8000);
        assertThat(WinIoCtl.functionFromCtlCode(vendor)).isEqualTo(0x801);
        assertThat(WinIoCtl.methodFromCtlCode(vendor)).isEqualTo(2);
        assertThat(WinIoCtl.accessFromCtlCode(vendor)).isEqualTo(FILE_WRITE_ACCESS);
    }

    @Test
    void ctlCode_refusesFieldsThatDoNotFit() {
        assertThatThrownBy(() -> WinIoCtl.ctlCode(0x10000, 0, 0, 0)).hasMessageContaining("deviceType");
        assertThatThrownBy(() -> WinIoCtl.ctlCode(0, 0x1000, 0, 0)).hasMessageContaining("function");
        assertThatThrownBy(() -> WinIoCtl.ctlCode(0, 0, 4, 0)).hasMessageContaining("method");
        assertThatThrownBy(() -> WinIoCtl.ctlCode(0, 0, 0, -1)).hasMessageContaining("access");
    }

    @Test
    void regIni_typeAndDataAgree() {
        assertThat(RegIni.dword("Speed", 480)).isEqualTo(new RegIni("Speed", DevLoad.REG_DWORD, 480));
        assertThat(RegIni.string("Serial", "42").type()).isEqualTo(DevLoad.REG_SZ);
        assertThatThrownBy(() -> new RegIni("X", DevLoad.REG_SZ, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RegIni("X", 3, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RegIni.string(null, "v")).isInstanceOf(NullPointerException.class);
    }
}
