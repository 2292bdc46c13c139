
d
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-seed1€ùÀÁÄ‚ (08€€ùÀÁÄ‚@€ùÀÁÄ‚@ÞêÈ^Ødš'ókÊ ¾ó-PJZ»5gY¶¶ÖõNEñM>þN^)2ÓR5˜¾i”¦ƒ:¾yê“ý’­