package io.picrypt.client;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which names the two stores of a keyset share: the 1:1 names the 1:N gallery lacks (identify cannot find them: an
 * enrollment interrupted before its gallery step, or made before the gallery existed) and the gallery names without
 * 1:1 templates (gallery-only: imported or enrolled with --gallery). Used by {@code list}, the web page and {@link MatchSession#rebuildGallery}.
 *
 * @param notInGallery 1:1 names absent from the gallery, in the order of the 1:1 list
 * @param galleryOnly  gallery names without 1:1 templates (imported or enrolled with --gallery), sorted
 */
public record GalleryCoverage(List<String> notInGallery, List<String> galleryOnly) {
    public static GalleryCoverage of(List<PiCryptClient.Identity> identities, Collection<String> galleryNames) {
        Set<String> inGallery = new HashSet<>(galleryNames), enrolled = new HashSet<>();
        List<String> missing = new java.util.ArrayList<>();
        for (PiCryptClient.Identity i : identities) {
            enrolled.add(i.name());
            if (!inGallery.contains(i.name())) missing.add(i.name());
        }
        return new GalleryCoverage(List.copyOf(missing), inGallery.stream().filter(n -> !enrolled.contains(n)).sorted().toList());
    }
}
