#include "sf_box.h"
#include "sf_error.h"

#include <math.h>

int sf_box_init(sf_box *box, const double lo[3], const double hi[3],
                double xy, double xz, double yz)
{
    static const char axis[] = "xyz";
    for (int k = 0; k < 3; k++) {
        if (!(isfinite(lo[k]) && isfinite(hi[k])))
            return sf_error("box bound %clo/%chi is not finite", axis[k], axis[k]);
        if (!(hi[k] > lo[k]))
            return sf_error("box has zero or negative length along %c "
                            "(%clo %.17g >= %chi %.17g)",
                            axis[k], axis[k], lo[k], axis[k], hi[k]);
        box->lo[k] = lo[k];
        box->len[k] = hi[k] - lo[k];
        box->periodic[k] = 1;
    }
    if (!(isfinite(xy) && isfinite(xz) && isfinite(yz)))
        return sf_error("box tilt factor is not finite");
    box->xy = xy;
    box->xz = xz;
    box->yz = yz;
    return SF_OK;
}

int sf_box_is_triclinic(const sf_box *box)
{
    return box->xy != 0.0 || box->xz != 0.0 || box->yz != 0.0;
}

double sf_box_volume(const sf_box *box)
{
    return box->len[0] * box->len[1] * box->len[2];
}

void sf_box_to_frac(const sf_box *box, const double r[3], double s[3])
{
    double dz = r[2] - box->lo[2];
    double dy = r[1] - box->lo[1];
    double dx = r[0] - box->lo[0];
    double s2 = dz / box->len[2];
    double s1 = (dy - box->yz * s2) / box->len[1];
    double s0 = (dx - box->xy * s1 - box->xz * s2) / box->len[0];
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
}

void sf_box_to_cart(const sf_box *box, const double s[3], double r[3])
{
    double s0 = s[0], s1 = s[1], s2 = s[2];
    r[0] = box->lo[0] + box->len[0] * s0 + box->xy * s1 + box->xz * s2;
    r[1] = box->lo[1] + box->len[1] * s1 + box->yz * s2;
    r[2] = box->lo[2] + box->len[2] * s2;
}

void sf_box_wrap(const sf_box *box, double r[3], int image[3])
{
    double s[3];
    sf_box_to_frac(box, r, s);
    int changed = 0;
    for (int k = 0; k < 3; k++) {
        if (!box->periodic[k])
            continue;
        double f = floor(s[k]);
        if (f != 0.0) {
            s[k] -= f;
            if (s[k] >= 1.0) /* rounding: -1e-17 - floor -> 1.0 */
                s[k] = 0.0;
            if (image)
                image[k] += (int)f;
            changed = 1;
        }
    }
    if (changed)
        sf_box_to_cart(box, s, r);
}

void sf_box_minimum_image(const sf_box *box, double d[3])
{
    /* Reduce in fractional space first, then search the 27 neighbouring
     * images: with skewed cells the rounded image need not be the nearest. */
    double s[3];
    double dz = d[2] / box->len[2];
    double dy = (d[1] - box->yz * dz) / box->len[1];
    double dx = (d[0] - box->xy * dy - box->xz * dz) / box->len[0];
    s[0] = box->periodic[0] ? dx - nearbyint(dx) : dx;
    s[1] = box->periodic[1] ? dy - nearbyint(dy) : dy;
    s[2] = box->periodic[2] ? dz - nearbyint(dz) : dz;
    double best[3] = {0, 0, 0}, bestr2 = INFINITY;
    int lim[3];
    for (int k = 0; k < 3; k++)
        lim[k] = box->periodic[k] ? 1 : 0;
    for (int i = -lim[0]; i <= lim[0]; i++)
        for (int j = -lim[1]; j <= lim[1]; j++)
            for (int k = -lim[2]; k <= lim[2]; k++) {
                double a = s[0] + i, b = s[1] + j, c = s[2] + k;
                double x = box->len[0] * a + box->xy * b + box->xz * c;
                double y = box->len[1] * b + box->yz * c;
                double z = box->len[2] * c;
                double r2 = x * x + y * y + z * z;
                if (r2 < bestr2) {
                    bestr2 = r2;
                    best[0] = x;
                    best[1] = y;
                    best[2] = z;
                }
            }
    d[0] = best[0];
    d[1] = best[1];
    d[2] = best[2];
}

void sf_box_unwrap(const sf_box *box, const double r[3], const int image[3],
                   double out[3])
{
    double ix = image[0], iy = image[1], iz = image[2];
    out[0] = r[0] + ix * box->len[0] + iy * box->xy + iz * box->xz;
    out[1] = r[1] + iy * box->len[1] + iz * box->yz;
    out[2] = r[2] + iz * box->len[2];
}

void sf_box_widths(const sf_box *box, double w[3])
{
    /* h = [[lx,xy,xz],[0,ly,yz],[0,0,lz]]; width_k = V / |a_i x a_j|. */
    double lx = box->len[0], ly = box->len[1], lz = box->len[2];
    double xy = box->xy, xz = box->xz, yz = box->yz;
    double vol = lx * ly * lz;
    /* b x c = (ly*lz, -xy*lz, xy*yz - ly*xz) */
    double bc = sqrt(ly * lz * ly * lz + xy * lz * xy * lz +
                     (xy * yz - ly * xz) * (xy * yz - ly * xz));
    /* c x a = (0, xz*lx... ) : a=(lx,0,0), c=(xz,yz,lz): c x a = (0, lz*lx, -yz*lx) */
    double ca = lx * sqrt(lz * lz + yz * yz);
    /* a x b = (0,0,lx*ly) */
    double ab = lx * ly;
    w[0] = vol / bc;
    w[1] = vol / ca;
    w[2] = vol / ab;
}

void sf_box_bounds(const sf_box *box, double lo_bound[3], double hi_bound[3])
{
    double xy = box->xy, xz = box->xz, yz = box->yz;
    double xmin = fmin(fmin(0.0, xy), fmin(xz, xy + xz));
    double xmax = fmax(fmax(0.0, xy), fmax(xz, xy + xz));
    lo_bound[0] = box->lo[0] + xmin;
    hi_bound[0] = box->lo[0] + box->len[0] + xmax;
    lo_bound[1] = box->lo[1] + fmin(0.0, yz);
    hi_bound[1] = box->lo[1] + box->len[1] + fmax(0.0, yz);
    lo_bound[2] = box->lo[2];
    hi_bound[2] = box->lo[2] + box->len[2];
}
