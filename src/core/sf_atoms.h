/* sf_atoms.h - a configuration of atoms: ids, types, species names,
 * positions, optional velocities and image flags, and any number of named
 * per-atom columns kept from the input. */
#ifndef SF_ATOMS_H
#define SF_ATOMS_H

#include <stddef.h>
#include <stdint.h>

#include "sf_box.h"

#define SF_MAX_TYPES 4096

typedef struct sf_column {
    char *name;
    double *data; /* n values */
} sf_column;

typedef struct sf_atoms {
    size_t n;
    int64_t *id;     /* n, positive */
    int32_t *type;   /* n, 1..ntypes */
    double *x;       /* 3n, Cartesian */
    double *v;       /* 3n or NULL */
    int32_t *image;  /* 3n or NULL */
    int ntypes;
    char **species;  /* ntypes names, entries may be NULL (unnamed type) */
    double *mass;    /* ntypes or NULL */
    size_t ncols;
    sf_column *cols;
    sf_box box;
    int64_t timestep;
    double time;     /* NAN when unknown */
} sf_atoms;

/* A new configuration of n atoms (positions zero, ids 1..n, types 1) with
 * ntypes types.  Returns NULL and sets an error on failure. */
sf_atoms *sf_atoms_new(size_t n, int ntypes);
void sf_atoms_free(sf_atoms *a);
sf_atoms *sf_atoms_copy(const sf_atoms *a);

/* Optional arrays; allocate zero-filled if absent. */
int sf_atoms_ensure_velocities(sf_atoms *a);
int sf_atoms_ensure_images(sf_atoms *a);
int sf_atoms_ensure_masses(sf_atoms *a);

/* Set the name of type t (1-based).  name may be NULL to clear it. */
int sf_atoms_set_species(sf_atoms *a, int t, const char *name);
/* Type number of a species name, or 0 if not found. */
int sf_atoms_find_species(const sf_atoms *a, const char *name);
/* Per-type counts into counts[0..ntypes] (counts[t] for type t). */
void sf_atoms_type_counts(const sf_atoms *a, size_t *counts);

/* Named columns.  add_column copies data (or zero-fills if data is NULL) and
 * replaces an existing column of the same name. */
double *sf_atoms_add_column(sf_atoms *a, const char *name, const double *data);
double *sf_atoms_column(const sf_atoms *a, const char *name);
int sf_atoms_remove_column(sf_atoms *a, const char *name);

/* Checks: ids positive and unique, types in range, positions finite.
 * Errors name the offending id/index.  'where' prefixes messages (a path). */
int sf_atoms_validate(const sf_atoms *a, const char *where);

/* New configuration with the atoms where keep[i] != 0. */
sf_atoms *sf_atoms_select(const sf_atoms *a, const unsigned char *keep);
/* Permute in place so that ids ascend (stable, O(n log n)). */
int sf_atoms_sort_by_id(sf_atoms *a);
/* Concatenate b after a (box of a; types merged by species name when both
 * are named, by number otherwise; columns present in both kept).  Ids of b
 * are offset by max id of a when they would collide. */
sf_atoms *sf_atoms_concat(const sf_atoms *a, const sf_atoms *b);
/* Periodic replica nx*ny*nz; ids renumbered image-block by image-block. */
sf_atoms *sf_atoms_replicate(const sf_atoms *a, int nx, int ny, int nz);
/* Wrap all positions into the box (image flags updated when present). */
void sf_atoms_wrap(sf_atoms *a);

/* Index of atom with id, via a sorted lookup built on demand by the caller:
 * fills order[] with indices sorted by id. */
int sf_atoms_id_order(const sf_atoms *a, size_t *order);

#endif
