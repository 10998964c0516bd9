package io.github.usbd4j.ce;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@link UsbFuncs} method with the {@code USB_FUNCS} member it mirrors and its position in the
 * table (<a href="{@docRoot}/../reference/ce-usbd.html#s1-6">§1.6</a>), so that tools, messages and tests can name the
 * CE function.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface CeFunction {

    /** The 1-based position in {@code USB_FUNCS} after {@code dwCount}. */
    int ordinal();

    /** The member name exactly as in {@code usbdi.h}, e.g. {@code "lpIssueIsochTransfer"}. */
    String member();

    /** The USBDI version that added the member: "1.0", "1.1", "1.2" or "1.3". */
    String since() default "1.0";
}
