/* sf_box.h - periodic simulation cell in the LAMMPS convention.
 *
 * The cell is spanned by a = (lx,0,0), b = (xy,ly,0), c = (xz,yz,lz) from the
 * origin lo = (xlo,ylo,zlo).  A point is r = lo + s0*a + s1*b + s2*c with
 * fractional coordinates s in [0,1) inside the cell. */
#ifndef SF_BOX_H
#define SF_BOX_H

typedef struct sf_box {
    double lo[3];    /* origin: xlo ylo zlo */
    double len[3];   /* lx ly lz (> 0) */
    double xy, xz, yz;
    int periodic[3]; /* 1 if periodic along a/b/c */
} sf_box;

/* Orthogonal box from lo/hi; all periodic.  Returns SF_ERR on hi <= lo. */
int sf_box_init(sf_box *box, const double lo[3], const double hi[3],
                double xy, double xz, double yz);
/* Non-zero if any tilt factor is non-zero. */
int sf_box_is_triclinic(const sf_box *box);
double sf_box_volume(const sf_box *box);
/* Cartesian <-> fractional, in place allowed (r may alias s). */
void sf_box_to_frac(const sf_box *box, const double r[3], double s[3]);
void sf_box_to_cart(const sf_box *box, const double s[3], double r[3]);
/* Wrap r into the cell along periodic directions; if image is not NULL it is
 * updated so that unwrapped positions are preserved. */
void sf_box_wrap(const sf_box *box, double r[3], int image[3]);
/* Replace the displacement d by its minimum image (exact for any tilt up to
 * the LAMMPS limits: it searches the neighbouring images). */
void sf_box_minimum_image(const sf_box *box, double d[3]);
/* Unwrap: r + image . (a, b, c). */
void sf_box_unwrap(const sf_box *box, const double r[3], const int image[3],
                   double out[3]);
/* Perpendicular widths of the cell (distance between opposite faces). */
void sf_box_widths(const sf_box *box, double w[3]);
/* Bounds as LAMMPS writes them in a dump (xlo_bound ... ). */
void sf_box_bounds(const sf_box *box, double lo_bound[3], double hi_bound[3]);

#endif
