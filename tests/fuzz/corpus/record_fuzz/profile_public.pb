
|
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAprofile€€ùÀÁÄ‚ (8€€ùÀÁÄ‚@€€ùÀÁÄ‚r
Riverside Chapternorth@áÊI÷æ°eK˜B$øÿÔW<
iŒ6µÿzýÛ¦{,ÁuiU,-$’Vfè½mÈ1X*@·Í¾g½O‹1§/Xu