
À
425NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENAstory-seed3€€ùÀÁÄ‚ (8€€ùÀÁÄ‚@€€ùÀÁÄ‚j\
Shelter intake changes8What we tried, what it took, and what we would do again.outreach@<’¶%4—#òÔU|–µ¯5’\ÚA©ğïÁ`?F5ZyîéDÆ‘v¼(êGÌ»û0G]º4»i»Q¨
