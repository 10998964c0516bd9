package io.github.usbd4j;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.HostController;
import io.github.usbd4j.sim.SimulatedHostController;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Layering of usbd-impl ([Layers](reference/design.html#layers),
 * [Modules and packages](reference/design.html#modules)): only the libusb backend touches usb4java, backends never see
 * CE semantic types or engine internals, the backend SPI stands alone, and the library logs through SLF4J only.
 */
class ImplArchitectureTest {

    /** Every package of usbd-impl; usbd-api's packages are on the class path too and stay out. */
    private static final String[] IMPL_PACKAGES = {
        "io.github.usbd4j.host..",
        "io.github.usbd4j.sim..",
        "io.github.usbd4j.libusb..",
        "io.github.usbd4j.usbip..",
        "io.github.usbd4j.internal.."
    };

    private static JavaClasses impl;

    @BeforeAll
    static void importImpl() {
        impl = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(
                        "io.github.usbd4j.host",
                        "io.github.usbd4j.sim",
                        "io.github.usbd4j.libusb",
                        "io.github.usbd4j.usbip",
                        "io.github.usbd4j.internal");
    }

    @Test
    void import_holdsTheImplMainClassesOnly() {
        assertThat(impl.contain(Usbd.class)).isTrue();
        assertThat(impl.contain(HostController.class)).isTrue();
        assertThat(impl.contain(SimulatedHostController.class)).isTrue();
        assertThat(impl.contain(UsbFuncs.class)).as("api classes excluded").isFalse();
        assertThat(impl.contain(ImplArchitectureTest.class))
                .as("test classes excluded")
                .isFalse();
    }

    @Test
    void onlyLibusbPackage_dependsOnUsb4java() {
        noClasses()
                .that()
                .resideOutsideOfPackage("io.github.usbd4j.libusb..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.usb4java..")
                .allowEmptyShould(true)
                .check(impl);
    }

    @Test
    void backends_doNotSeePersonalitiesOrEngineInternals() {
        // chapter-9 types (io.github.usbd4j.usb, descriptor) are neutral; CE, WinUSB and WDM are not
        noClasses()
                .that()
                .resideInAnyPackage(
                        "io.github.usbd4j.host.spi..",
                        "io.github.usbd4j.sim..",
                        "io.github.usbd4j.libusb..",
                        "io.github.usbd4j.usbip..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.github.usbd4j.ce..",
                        "io.github.usbd4j.winusb..",
                        "io.github.usbd4j.wdm..",
                        "io.github.usbd4j.internal..")
                .check(impl);
    }

    @Test
    void backendSpi_dependsOnNothingElseOfImpl() {
        noClasses()
                .that()
                .resideInAPackage("io.github.usbd4j.host.spi..")
                .should()
                .dependOnClassesThat(
                        resideInAnyPackage(IMPL_PACKAGES).and(not(resideInAPackage("io.github.usbd4j.host.spi.."))))
                .check(impl);
    }

    @Test
    void mainCode_logsThroughSlf4jOnly() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAPackage("ch.qos.logback..")
                .check(impl);
    }
}
