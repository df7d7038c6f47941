"""shadegap: where to plant trees first. `python3 -m shadegap.dask` runs shadegap on Dask distributed."""
