package io.picrypt.client;

import io.picrypt.image.ImageLoader;
import io.picrypt.image.Pixels;
import io.picrypt.imagediff.ImageDiffException;
import io.picrypt.imagediff.RawImage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two frames of an image difference, decoded by the product's one {@link ImageLoader} (same formats, EXIF
 * orientation, limits and refusal of truncated files as the face commands) and made comparable: when one
 * photo is greyscale and the other colour, the grey one is compared as RGB (g, g, g) and {@link #notes()}
 * says so. Different width or height (as displayed, after EXIF orientation) is refused with
 * {@link ImageDiffException.Reason#SIZE_MISMATCH} and a message giving both sizes; loading failures are
 * {@link io.picrypt.image.ImageException}.
 *
 * @param notes what was adapted, for the user (empty when nothing was)
 */
public record DiffPair(RawImage before, RawImage after, List<String> notes) {
    public DiffPair {
        notes = List.copyOf(notes);
    }

    public static DiffPair read(ImageLoader loader, Path before, Path after) {
        Pixels b = loader.readPixels(before), a = loader.readPixels(after);
        return of(b, before.toString(), a, after.toString());
    }

    public static DiffPair decode(ImageLoader loader, byte[] before, String beforeName, byte[] after, String afterName) {
        Pixels b = loader.decodePixels(before, beforeName), a = loader.decodePixels(after, afterName);
        return of(b, beforeName, a, afterName);
    }

    static DiffPair of(Pixels b, String beforeName, Pixels a, String afterName) {
        if (b.width() != a.width() || b.height() != a.height()) {
            boolean turned = b.width() == a.height() && b.height() == a.width();
            throw new ImageDiffException(ImageDiffException.Reason.SIZE_MISMATCH, String.format(
                    "%s is %dx%d pixels but %s is %dx%d (as displayed, EXIF orientation applied): the two photos must have the same size (width and height)%s",
                    beforeName, b.width(), b.height(), afterName, a.width(), a.height(),
                    turned ? "; one is turned by 90 degrees relative to the other" : ""));
        }
        List<String> notes = new ArrayList<>();
        if (b.channels() != a.channels()) {
            String grey = b.channels() == 1 ? beforeName : afterName, colour = b.channels() == 1 ? afterName : beforeName;
            notes.add(grey + " is greyscale and " + colour + " is colour: " + grey + " was compared as RGB (grey copied to R, G and B)");
            b = b.toRgb();
            a = a.toRgb();
        }
        return new DiffPair(raw(b), raw(a), notes);
    }

    private static RawImage raw(Pixels p) {
        return new RawImage(p.width(), p.height(), p.channels(), p.samples());
    }
}
