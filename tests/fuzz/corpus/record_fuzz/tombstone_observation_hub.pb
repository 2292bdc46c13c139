
v
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAobs:actively_homeless:2024-03‚€ùÀÁÄ‚ (08€€ùÀÁÄ‚@‚€ùÀÁÄ‚@oQ79p9pç½ ·—VË²ÿ«J@làtç»¾"†Vg$(^Ñá¨ÕÍF»oÔH?fËÀ$n³»Õà9Bºwâ